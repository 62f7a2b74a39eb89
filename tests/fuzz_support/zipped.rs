//! Structure-aware damage to zip containers (.xlsx, .xlsm, .ods): one part inside the archive
//! is mutated and the archive rebuilt, so the damage reaches the XML readers instead of
//! stopping at the zip checksum; and sizes the archive declares can be made huge, to check
//! that no reader allocates what a header claims. Shared by `tests/it/fuzz_import.rs` and the
//! Excel connector's fuzz test.
#![allow(dead_code)]

use std::io::{Cursor, Read, Write};

use proptest::prelude::*;
use proptest::sample::Index;

use super::mutate::{self, Mutation};

/// The parts of an archive, in their order (an .ods keeps `mimetype` first).
pub type Parts = Vec<(String, Vec<u8>)>;

pub fn unzip(bytes: &[u8]) -> Parts {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a seed is a zip archive");
    (0..archive.len())
        .map(|i| {
            let mut part = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            part.read_to_end(&mut data).unwrap();
            (part.name().unwrap().into_owned(), data)
        })
        .collect()
}

pub fn zip(parts: &Parts) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    for (name, data) in parts {
        // A name made twice by a splice is refused by the writer; the first copy stays.
        if writer.start_file(name.as_str(), options).is_ok() {
            writer.write_all(data).unwrap();
        }
    }
    writer.finish().unwrap().into_inner()
}

/// What is done to an archive.
#[derive(Debug, Clone)]
pub enum Damage {
    /// Mutate one part (XML parts are chosen far more often than others).
    Part(Index, Vec<Mutation>),
    /// Leave a part out.
    Drop(Index),
    /// Claim a huge uncompressed size for every part, in the local and central headers.
    HugeSizes(u32),
    /// Mutate the archive's own bytes.
    Raw(Vec<Mutation>),
    /// A cell far down and to the right (row, column, both from 1): in a worksheet as its
    /// reference, in an OpenDocument table as repeated rows and columns.
    FarCell(u64, u64),
}

pub fn damage() -> impl Strategy<Value = Damage> {
    let muts = || proptest::collection::vec(mutate::mutation(), 1..8);
    prop_oneof![
        12 => (any::<Index>(), muts()).prop_map(|(i, m)| Damage::Part(i, m)),
        1 => any::<Index>().prop_map(Damage::Drop),
        1 => prop_oneof![Just(u32::MAX), Just(0xFFFF_FFFE), 1u32 << 28..u32::MAX]
            .prop_map(Damage::HugeSizes),
        1 => muts().prop_map(Damage::Raw),
        1 => (
            prop_oneof![Just(1_048_576u64), Just(1_048_577), Just(4_000_000_000), Just(u64::from(u32::MAX)), 1u64..5_000_000_000],
            prop_oneof![Just(1u64), Just(16_384), Just(16_385), 1u64..100_000],
        )
            .prop_map(|(r, c)| Damage::FarCell(r, c)),
    ]
}

/// The archive `parts` with `damage` done, as bytes.
pub fn damaged(parts: &Parts, damage: &Damage) -> Vec<u8> {
    let mut parts = parts.clone();
    match damage {
        Damage::Part(i, ms) => {
            let xml: Vec<usize> = (0..parts.len())
                .filter(|&p| parts[p].0.ends_with(".xml") || parts[p].0.ends_with(".rels"))
                .collect();
            let p = if xml.is_empty() {
                i.index(parts.len())
            } else {
                xml[i.index(xml.len())]
            };
            for m in ms {
                mutate::apply(&mut parts[p].1, m);
            }
            zip(&parts)
        }
        Damage::Drop(i) => {
            parts.remove(i.index(parts.len()));
            zip(&parts)
        }
        Damage::HugeSizes(size) => {
            let mut bytes = zip(&parts);
            claim_size(&mut bytes, *size);
            bytes
        }
        Damage::FarCell(row, col) => {
            for (name, data) in parts.iter_mut() {
                let text = String::from_utf8_lossy(data).into_owned();
                let cell = if name.starts_with("xl/worksheets/") {
                    let r = column_name(*col);
                    format!(
                        "<row r=\"{row}\"><c r=\"{r}{row}\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData>"
                    )
                } else if name == "content.xml" {
                    format!(
                        "<table:table-row table:number-rows-repeated=\"{row}\"><table:table-cell \
                         table:number-columns-repeated=\"{col}\" office:value-type=\"string\">\
                         <text:p>x</text:p></table:table-cell></table:table-row></table:table>"
                    )
                } else {
                    continue;
                };
                let end = if name == "content.xml" {
                    "</table:table>"
                } else {
                    "</sheetData>"
                };
                *data = text.replacen(end, &cell, 1).into_bytes();
            }
            zip(&parts)
        }
        Damage::Raw(ms) => {
            let mut bytes = zip(&parts);
            for m in ms {
                mutate::apply(&mut bytes, m);
            }
            bytes
        }
    }
}

/// Write `size` into every header's uncompressed-size field (local headers at offset 22,
/// central directory entries at offset 24).
fn claim_size(bytes: &mut [u8], size: u32) {
    let le = size.to_le_bytes();
    let mut i = 0;
    while i + 30 <= bytes.len() {
        match &bytes[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] => bytes[i + 22..i + 26].copy_from_slice(&le),
            [0x50, 0x4b, 0x01, 0x02] => bytes[i + 24..i + 28].copy_from_slice(&le),
            _ => {}
        }
        i += 1;
    }
}

/// `1` → `A`, `16384` → `XFD`.
fn column_name(mut n: u64) -> String {
    let mut name = Vec::new();
    while n > 0 {
        n -= 1;
        name.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap()
}
