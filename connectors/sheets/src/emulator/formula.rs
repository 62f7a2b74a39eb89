//! Enough of the formula language for the values people put next to throughline's columns:
//! numbers, text in quotes, cell references on the same tab, `+ - * /`, `&`, comparisons,
//! parentheses and a few functions (`SUM`, `CONCATENATE`, `IF`, `LEN`, `UPPER`, `LOWER`).
//! Anything else evaluates to `#NAME?`, as Sheets shows an unknown function.

use super::model::Eff;
use crate::a1::column_index;

/// Work out `=...`; `cell(row, col)` gives another cell's value.
pub fn evaluate(formula: &str, cell: &dyn Fn(usize, usize) -> Eff) -> Eff {
    let src: Vec<char> = formula.trim_start_matches('=').chars().collect();
    let mut p = Parser {
        src: &src,
        pos: 0,
        cell,
    };
    match p.compare() {
        Ok(v) if p.at_end() => v,
        Ok(_) => Eff::Error("#ERROR!".to_owned()),
        Err(e) => Eff::Error(e),
    }
}

struct Parser<'a> {
    src: &'a [char],
    pos: usize,
    cell: &'a dyn Fn(usize, usize) -> Eff,
}

fn num(v: &Eff) -> Result<f64, String> {
    match v {
        Eff::Empty => Ok(0.0),
        Eff::Number(n) => Ok(*n),
        Eff::Bool(b) => Ok(f64::from(u8::from(*b))),
        Eff::Text(t) => t.trim().parse().map_err(|_| "#VALUE!".to_owned()),
        Eff::Error(e) => Err(e.clone()),
    }
}

fn text(v: &Eff) -> Result<String, String> {
    match v {
        Eff::Empty => Ok(String::new()),
        Eff::Number(n) => Ok(match super::model::number(*n) {
            serde_json::Value::Number(x) => x.to_string(),
            other => other.to_string(),
        }),
        Eff::Bool(b) => Ok(if *b { "TRUE" } else { "FALSE" }.to_owned()),
        Eff::Text(t) => Ok(t.clone()),
        Eff::Error(e) => Err(e.clone()),
    }
}

impl Parser<'_> {
    fn at_end(&mut self) -> bool {
        self.skip();
        self.pos >= self.src.len()
    }

    fn skip(&mut self) {
        while self.pos < self.src.len() && self.src[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip();
        let chars: Vec<char> = s.chars().collect();
        if self.src[self.pos..].starts_with(&chars) {
            self.pos += chars.len();
            true
        } else {
            false
        }
    }

    fn compare(&mut self) -> Result<Eff, String> {
        let left = self.concat()?;
        for op in ["<>", "<=", ">=", "=", "<", ">"] {
            if self.eat(op) {
                let right = self.concat()?;
                let ord = match (num(&left), num(&right)) {
                    (Ok(a), Ok(b)) => a.partial_cmp(&b),
                    _ => Some(
                        text(&left)?
                            .to_lowercase()
                            .cmp(&text(&right)?.to_lowercase()),
                    ),
                };
                let ord = ord.ok_or("#VALUE!")?;
                use std::cmp::Ordering::*;
                let b = match op {
                    "<>" => ord != Equal,
                    "<=" => ord != Greater,
                    ">=" => ord != Less,
                    "=" => ord == Equal,
                    "<" => ord == Less,
                    _ => ord == Greater,
                };
                return Ok(Eff::Bool(b));
            }
        }
        Ok(left)
    }

    fn concat(&mut self) -> Result<Eff, String> {
        let mut v = self.sum()?;
        while self.eat("&") {
            let r = self.sum()?;
            v = Eff::Text(text(&v)? + &text(&r)?);
        }
        Ok(v)
    }

    fn sum(&mut self) -> Result<Eff, String> {
        let mut v = self.product()?;
        loop {
            if self.eat("+") {
                let r = self.product()?;
                v = Eff::Number(num(&v)? + num(&r)?);
            } else if self.eat("-") {
                let r = self.product()?;
                v = Eff::Number(num(&v)? - num(&r)?);
            } else {
                return Ok(v);
            }
        }
    }

    fn product(&mut self) -> Result<Eff, String> {
        let mut v = self.unary()?;
        loop {
            if self.eat("*") {
                let r = self.unary()?;
                v = Eff::Number(num(&v)? * num(&r)?);
            } else if self.eat("/") {
                let r = num(&self.unary()?)?;
                if r == 0.0 {
                    return Err("#DIV/0!".to_owned());
                }
                v = Eff::Number(num(&v)? / r);
            } else {
                return Ok(v);
            }
        }
    }

    fn unary(&mut self) -> Result<Eff, String> {
        if self.eat("-") {
            return Ok(Eff::Number(-num(&self.unary()?)?));
        }
        if self.eat("+") {
            return self.unary();
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Eff, String> {
        self.skip();
        let Some(&c) = self.src.get(self.pos) else {
            return Err("#ERROR!".to_owned());
        };
        if c == '(' {
            self.pos += 1;
            let v = self.compare()?;
            if !self.eat(")") {
                return Err("#ERROR!".to_owned());
            }
            return Ok(v);
        }
        if c == '"' {
            self.pos += 1;
            let mut s = String::new();
            while let Some(&ch) = self.src.get(self.pos) {
                self.pos += 1;
                if ch == '"' {
                    if self.src.get(self.pos) == Some(&'"') {
                        s.push('"');
                        self.pos += 1;
                        continue;
                    }
                    return Ok(Eff::Text(s));
                }
                s.push(ch);
            }
            return Err("#ERROR!".to_owned());
        }
        if c.is_ascii_digit() || c == '.' {
            let start = self.pos;
            while self.pos < self.src.len()
                && (self.src[self.pos].is_ascii_digit() || self.src[self.pos] == '.')
            {
                self.pos += 1;
            }
            let s: String = self.src[start..self.pos].iter().collect();
            return s.parse().map(Eff::Number).map_err(|_| "#ERROR!".to_owned());
        }
        if c.is_ascii_alphabetic() || c == '$' {
            let start = self.pos;
            while self.pos < self.src.len()
                && (self.src[self.pos].is_ascii_alphanumeric()
                    || self.src[self.pos] == '$'
                    || self.src[self.pos] == '.')
            {
                self.pos += 1;
            }
            let word: String = self.src[start..self.pos]
                .iter()
                .collect::<String>()
                .replace('$', "");
            if self.eat("(") {
                return self.call(&word.to_ascii_uppercase());
            }
            match word.to_ascii_uppercase().as_str() {
                "TRUE" => return Ok(Eff::Bool(true)),
                "FALSE" => return Ok(Eff::Bool(false)),
                _ => {}
            }
            let (r, c) = cell_ref(&word).ok_or("#NAME?")?;
            return Ok((self.cell)(r, c));
        }
        Err("#ERROR!".to_owned())
    }

    fn args(&mut self) -> Result<Vec<Eff>, String> {
        let mut out = Vec::new();
        if self.eat(")") {
            return Ok(out);
        }
        loop {
            // A range argument (A1:B3) counts as all its cells.
            self.skip();
            let save = self.pos;
            if let Some(cells) = self.range() {
                out.extend(cells);
            } else {
                self.pos = save;
                out.push(self.compare()?);
            }
            if self.eat(",") {
                continue;
            }
            if self.eat(")") {
                return Ok(out);
            }
            return Err("#ERROR!".to_owned());
        }
    }

    fn range(&mut self) -> Option<Vec<Eff>> {
        let word = |p: &mut Self| {
            let start = p.pos;
            while p.pos < p.src.len()
                && (p.src[p.pos].is_ascii_alphanumeric() || p.src[p.pos] == '$')
            {
                p.pos += 1;
            }
            p.src[start..p.pos]
                .iter()
                .collect::<String>()
                .replace('$', "")
        };
        let a = cell_ref(&word(self))?;
        if self.src.get(self.pos) != Some(&':') {
            return None;
        }
        self.pos += 1;
        let b = cell_ref(&word(self))?;
        let mut out = Vec::new();
        for r in a.0.min(b.0)..=a.0.max(b.0) {
            for c in a.1.min(b.1)..=a.1.max(b.1) {
                out.push((self.cell)(r, c));
            }
        }
        Some(out)
    }

    fn call(&mut self, name: &str) -> Result<Eff, String> {
        let args = self.args()?;
        match name {
            "SUM" => {
                let mut total = 0.0;
                for a in &args {
                    if !matches!(a, Eff::Text(_)) {
                        total += num(a)?;
                    }
                }
                Ok(Eff::Number(total))
            }
            "CONCATENATE" | "CONCAT" => {
                let mut s = String::new();
                for a in &args {
                    s.push_str(&text(a)?);
                }
                Ok(Eff::Text(s))
            }
            "LEN" => Ok(Eff::Number(
                text(args.first().unwrap_or(&Eff::Empty))?.chars().count() as f64,
            )),
            "UPPER" => Ok(Eff::Text(
                text(args.first().unwrap_or(&Eff::Empty))?.to_uppercase(),
            )),
            "LOWER" => Ok(Eff::Text(
                text(args.first().unwrap_or(&Eff::Empty))?.to_lowercase(),
            )),
            "IF" => {
                let cond = args.first().map(num).transpose()?.unwrap_or(0.0) != 0.0;
                Ok(if cond {
                    args.get(1).cloned().unwrap_or(Eff::Bool(true))
                } else {
                    args.get(2).cloned().unwrap_or(Eff::Bool(false))
                })
            }
            _ => Err("#NAME?".to_owned()),
        }
    }
}

fn cell_ref(word: &str) -> Option<(usize, usize)> {
    let letters: String = word
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let digits = &word[letters.len()..];
    let c = column_index(&letters)? as usize;
    let r: usize = digits.parse().ok()?;
    (r >= 1).then_some((r - 1, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(r: usize, c: usize) -> Eff {
        match (r, c) {
            (0, 0) => Eff::Number(2.0),
            (0, 1) => Eff::Text("Draft".to_owned()),
            (1, 0) => Eff::Number(3.0),
            _ => Eff::Empty,
        }
    }

    #[test]
    fn the_formulas_people_write_next_to_our_columns() {
        assert_eq!(evaluate("=4/2", &grid), Eff::Number(2.0));
        assert_eq!(evaluate("=3/2", &grid), Eff::Number(1.5));
        assert_eq!(evaluate("=A1*(A2+1)", &grid), Eff::Number(8.0));
        assert_eq!(evaluate("=B1&\"!\"", &grid), Eff::Text("Draft!".to_owned()));
        assert_eq!(evaluate("=SUM(A1:A3)", &grid), Eff::Number(5.0));
        assert_eq!(
            evaluate("=IF(A1>1,\"big\",\"small\")", &grid),
            Eff::Text("big".to_owned())
        );
        assert_eq!(evaluate("=LEN(B1)", &grid), Eff::Number(5.0));
        assert_eq!(evaluate("=1/0", &grid), Eff::Error("#DIV/0!".to_owned()));
        assert_eq!(
            evaluate("=VLOOKUP(1)", &grid),
            Eff::Error("#NAME?".to_owned())
        );
    }
}
