//! A look into an .xls file before calamine reads it. calamine 0.38 (the newest release)
//! reserves memory for every cell a sheet's DIMENSIONS record claims (`rows × columns`, in
//! `Xls::new`, before any cell is read), so a damaged or hostile file that claims a million
//! rows by 256 columns asks for gigabytes. The Workbook stream is taken out of the OLE
//! container here and every DIMENSIONS record in it is checked first.

/// A sector's chain ends, or the id marks a special sector, from this id on.
const RESERVED: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The sector table of an OLE container (sector id → next id). `None` if the header is not
/// one this reader understands; calamine then reports what is wrong.
pub fn fat(file: &[u8]) -> Option<(usize, Vec<u32>)> {
    if file.len() < 512 || &file[..8] != b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" {
        return None;
    }
    let size = match u16_at(file, 30)? {
        9 => 512,
        12 => 4096,
        _ => return None,
    };
    let sectors = file.len() / size;
    let sector = |id: u32| {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        file.get(start..start.checked_add(size)?.min(file.len()))
    };
    let entries = |b: &[u8]| -> Vec<u32> {
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    let mut fat_ids = entries(&file[76..512]);
    let mut next = u32_at(file, 68)?;
    let mut hops = 0;
    while next < RESERVED {
        hops += 1;
        if hops > sectors {
            return None;
        }
        let Some(b) = sector(next) else { break };
        let mut ids = entries(b);
        next = ids.pop().unwrap_or(u32::MAX);
        fat_ids.extend(ids);
    }
    let fat = fat_ids
        .into_iter()
        .filter(|id| *id < DIFSECT)
        .filter_map(sector)
        .flat_map(entries)
        .collect();
    Some((size, fat))
}

/// Follow a chain through `table`, at most `limit` links (a loop ends there).
fn chain(table: &[u32], start: u32, limit: usize) -> Vec<u32> {
    let mut out = Vec::new();
    let mut at = start;
    while at < RESERVED && (at as usize) < table.len() && out.len() < limit {
        out.push(at);
        at = table[at as usize];
    }
    out
}

/// The sectors `ids`, one after the other.
fn gather<'a>(ids: &[u32], unit: usize, from: impl Fn(u32) -> Option<&'a [u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(ids.len() * unit);
    for id in ids {
        out.extend_from_slice(from(*id)?);
    }
    Some(out)
}

/// The bytes of the stream named `names[..]` (case-insensitive), from the big sectors or the
/// mini stream.
pub fn stream(file: &[u8], names: &[&str]) -> Option<Vec<u8>> {
    let (size, fat) = fat(file)?;
    let limit = file.len() / size + 1;
    let big = |id: u32| -> Option<&[u8]> {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        file.get(start..start.checked_add(size)?.min(file.len()))
    };
    let dirs = gather(&chain(&fat, u32_at(file, 48)?, limit), size, big)?;
    let entries: Vec<&[u8]> = dirs.chunks_exact(128).collect();
    let name_of = |e: &[u8]| -> String {
        let len = (u16_at(e, 64).unwrap_or(0) as usize).min(64);
        let units: Vec<u16> = e[..len]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|u| *u != 0)
            .collect();
        String::from_utf16_lossy(&units)
    };
    let entry = entries
        .iter()
        .find(|e| e[66] == 2 && names.iter().any(|n| name_of(e).eq_ignore_ascii_case(n)))?;
    let start = u32_at(entry, 116)?;
    let len = u32_at(entry, 120)? as usize;
    let cutoff = u32_at(file, 56).unwrap_or(4096) as usize;
    let mut bytes = if len < cutoff {
        // The mini stream: 64-byte sectors inside the root entry's stream.
        let root = entries.first()?;
        let mini = gather(&chain(&fat, u32_at(root, 116)?, limit), size, big)?;
        let minifat_bytes = gather(&chain(&fat, u32_at(file, 60)?, limit), size, big)?;
        let minifat: Vec<u32> = minifat_bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let small = |id: u32| -> Option<&[u8]> {
            let at = (id as usize).checked_mul(64)?;
            mini.get(at..at.checked_add(64)?.min(mini.len()))
        };
        gather(&chain(&minifat, start, mini.len() / 64 + 1), 64, small)?
    } else {
        gather(&chain(&fat, start, limit), size, big)?
    };
    bytes.truncate(len);
    Some(bytes)
}

/// The largest sheet rectangle any DIMENSIONS record of the workbook stream claims, in cells,
/// with its rows and columns.
pub fn largest_dimensions(workbook: &[u8]) -> Option<(u64, u32, u32)> {
    let mut at = 0usize;
    let mut largest: Option<(u64, u32, u32)> = None;
    while let (Some(typ), Some(len)) = (u16_at(workbook, at), u16_at(workbook, at + 2)) {
        let Some(data) = workbook.get(at + 4..at + 4 + len as usize) else {
            break;
        };
        // FILEPASS: what follows is encrypted; the password check reports the file.
        if typ == 0x002F {
            break;
        }
        if typ == 0x0200 {
            let (first_row, last_row, first_col, last_col) = match data.len() {
                10 => (
                    u32::from(u16_at(data, 0)?),
                    u32::from(u16_at(data, 2)?),
                    u32::from(u16_at(data, 4)?),
                    u32::from(u16_at(data, 6)?),
                ),
                14 | 16 => (
                    u32_at(data, 0)?,
                    u32_at(data, 4)?,
                    u32::from(u16_at(data, 8)?),
                    u32::from(u16_at(data, 10)?),
                ),
                _ => (0, 0, 0, 0),
            };
            // As calamine reads them: a first column past 255 counts from column 0.
            let first_col = if first_col > 0xFF || last_col < first_col {
                0
            } else {
                first_col
            };
            let rows = last_row.saturating_sub(first_row);
            let cols = last_col.saturating_sub(first_col);
            let cells = u64::from(rows) * u64::from(cols);
            if largest.is_none_or(|(c, ..)| cells > c) {
                largest = Some((cells, rows, cols));
            }
        }
        at += 4 + len as usize;
    }
    largest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    fn dimensions(rows: u32, cols: u16) -> Vec<u8> {
        let mut d = 0u32.to_le_bytes().to_vec();
        d.extend(rows.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(cols.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        record(0x0200, &d)
    }

    #[test]
    fn the_largest_claimed_sheet_is_found() {
        let mut stream = record(0x0809, &[0; 16]);
        stream.extend(dimensions(10, 4));
        stream.extend(record(0x000A, &[]));
        stream.extend(record(0x0809, &[0; 16]));
        stream.extend(dimensions(1_048_576, 256));
        stream.extend(record(0x000A, &[]));
        assert_eq!(
            largest_dimensions(&stream),
            Some((1_048_576 * 256, 1_048_576, 256))
        );
    }

    #[test]
    fn a_real_xls_has_its_workbook_stream_read() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/import/calendar_en.xls");
        let file = std::fs::read(path).unwrap();
        let wb = stream(&file, &["Workbook", "Book"]).expect("a Workbook stream");
        assert_eq!(u16_at(&wb, 0), Some(0x0809), "starts with BOF");
        let (cells, rows, cols) = largest_dimensions(&wb).unwrap();
        assert!(
            cells > 0 && rows < 100 && cols < 20,
            "{cells} {rows} {cols}"
        );
    }
}
