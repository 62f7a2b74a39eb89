use super::*;

/// Parses the SVG as XML and returns (element name, attributes) in document order.
fn elements(svg: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let qname = e.name();
                let name: &str = qname.as_ref();
                let name = name.to_string();
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let key: &str = a.key.as_ref();
                        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0);
                        (key.to_string(), value.unwrap().into_owned())
                    })
                    .collect();
                out.push((name, attrs));
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn attr<'a>(e: &'a (String, Vec<(String, String)>), key: &str) -> &'a str {
    &e.1.iter().find(|(k, _)| k == key).unwrap().1
}

fn frame(rtl: bool) -> Frame<'static> {
    Frame {
        id: "c",
        title: "Stage <time> & more",
        desc: "d",
        rtl,
    }
}

fn points() -> Vec<Point> {
    vec![
        Point {
            x: 0.0,
            y: 1.0,
            label: "early".into(),
            color: BLUE,
        },
        Point {
            x: 10.0,
            y: 4.0,
            label: "late".into(),
            color: BLUE,
        },
    ]
}

#[test]
fn a_round_value_axis() {
    assert_eq!(nice_max(7.0), (8.0, 2.0));
    assert_eq!(nice_max(4.0), (4.0, 1.0));
    assert_eq!(nice_max(130.0), (150.0, 50.0));
    assert_eq!(nice_max(0.0), (1.0, 1.0));
    assert_eq!(nice_max(0.4), (0.4, 0.1));
}

#[test]
fn charts_are_well_formed_svg_with_title_and_escaped_text() {
    let svg = scatter(
        &frame(false),
        &[(0.0, "a<b".into())],
        "days",
        &points(),
        &[],
        "-",
    );
    let els = elements(&svg);
    assert_eq!(els[0].0, "svg");
    assert_eq!(attr(&els[0], "id"), "c");
    assert_eq!(attr(&els[0], "aria-labelledby"), "c-title c-desc");
    assert!(svg.contains("<title id=\"c-title\">Stage &lt;time&gt; &amp; more</title>"));
    assert!(svg.contains(">a&lt;b</text>"));
    assert_eq!(els.iter().filter(|e| e.0 == "circle").count(), 2);
}

#[test]
fn right_to_left_mirrors_the_time_axis() {
    let cx = |rtl: bool| -> Vec<f64> {
        elements(&scatter(&frame(rtl), &[], "", &points(), &[], "-"))
            .iter()
            .filter(|e| e.0 == "circle")
            .map(|e| attr(e, "cx").parse().unwrap())
            .collect()
    };
    let (ltr, rtl) = (cx(false), cx(true));
    // Left to right the earlier task is left of the later one; right to left it is right.
    assert!(ltr[0] < ltr[1]);
    assert!(rtl[0] > rtl[1]);
    assert!((ltr[0] + rtl[0] - WIDTH).abs() < 0.2);
}

#[test]
fn stacked_bands_lie_on_each_other() {
    let series = vec![
        Series {
            name: "done".into(),
            values: vec![1.0, 2.0],
            color: GREEN,
        },
        Series {
            name: "todo".into(),
            values: vec![3.0, 2.0],
            color: GREY,
        },
    ];
    let svg = stacked_area(&frame(false), &[0.0, 1.0], &[], "", &series, "-");
    let bands: Vec<String> = elements(&svg)
        .iter()
        .filter(|e| e.0 == "path")
        .map(|e| attr(e, "d").to_string())
        .collect();
    assert_eq!(bands.len(), 2);
    // The top edge of `done` is the bottom edge of `todo`: the same points, reversed.
    let top_of_done: Vec<&str> = bands[0].split(' ').take(2).collect();
    let bottom_of_todo: Vec<&str> = bands[1].split(' ').skip(2).take(2).collect();
    let strip = |s: &str| s.trim_start_matches(['M', 'L']).to_string();
    assert_eq!(strip(top_of_done[0]), strip(bottom_of_todo[1]));
    assert_eq!(strip(top_of_done[1]), strip(bottom_of_todo[0]));
}

#[test]
fn empty_charts_say_so() {
    let svg = columns(&frame(false), &[], "", &[], &[], "nothing yet");
    assert!(svg.contains(">nothing yet</text>"));
    let svg = timeline(&frame(true), &[], &[], None, "nothing yet");
    assert!(svg.contains(">nothing yet</text>"));
    elements(&svg);
}

#[test]
fn a_timeline_row_per_task_with_plan_and_actual() {
    let rows = vec![
        TimelineRow {
            label: "copy".into(),
            planned: (0.0, 2.0),
            actual: Some((0.0, 4.0)),
            color: RED,
            detail: "late".into(),
        },
        TimelineRow {
            label: "design".into(),
            planned: (3.0, 4.0),
            actual: None,
            color: BLUE,
            detail: "open".into(),
        },
    ];
    let els = elements(&timeline(
        &frame(false),
        &[],
        &rows,
        Some((5.0, "today")),
        "-",
    ));
    let class = |c: &str| {
        els.iter()
            .filter(|e| e.0 == "rect" && attr(e, "class") == c)
            .count()
    };
    assert_eq!((class("planned"), class("actual")), (2, 1));
    let actual = els
        .iter()
        .find(|e| e.0 == "rect" && attr(e, "class") == "actual");
    let planned = els
        .iter()
        .find(|e| e.0 == "rect" && attr(e, "class") == "planned");
    let w = |e: Option<&(String, Vec<(String, String)>)>| -> f64 {
        attr(e.unwrap(), "width").parse().unwrap()
    };
    // 5 days taken against 3 planned.
    assert!((w(actual) / w(planned) - 5.0 / 3.0).abs() < 0.01);
}

#[test]
fn long_labels_are_cut_to_their_room() {
    assert_eq!(fit("Approval", 100.0), "Approval");
    // 40 px: 6 characters of room, 5 of the label and "…".
    assert_eq!(fit("ניתוח הארגון והתרבות", 40.0), "ניתוח…");
}

#[test]
fn a_metric_without_values_still_shows_its_target() {
    let target = [RefLine {
        value: 40.0,
        label: "target 40".into(),
        color: ORANGE,
    }];
    let series = [Line {
        name: "active".into(),
        color: BLUE,
        points: vec![],
    }];
    let svg = lines(
        &frame(false),
        &[(0.0, "1.3".into())],
        "%",
        &series,
        &target,
        "no value yet",
    );
    assert!(svg.contains(">target 40</text>") && svg.contains(">no value yet</text>"));
    let svg = lines(&frame(false), &[], "%", &series, &[], "no value yet");
    assert!(!svg.contains("<line"));
}
