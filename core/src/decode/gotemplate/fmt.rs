//! Go's `fmt`/`strconv` formatting rules used by templates.

use super::value::Value;

/// `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Approximation of Go's `strconv.IsPrint` (letters, marks, numbers, punctuation,
/// symbols and the ASCII space).
pub fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let u = c as u32;
    // Format characters, private use, surrogates and non-characters.
    !matches!(u, 0xad | 0x600..=0x605 | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f
        | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff | 0xfffe | 0xffff | 0xf0000..)
}

/// `strconv.FormatFloat(f, 'g', -1, 64)` with `%v`'s exponent threshold.
pub fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (neg, digits, exp) = shortest_digits(f);
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        return format!("{sign}{}", exp_form(&digits, exp));
    }
    format!("{sign}{}", plain_form(&digits, exp))
}

/// Shortest decimal digits of `|f|` and its decimal exponent.
fn shortest_digits(f: f64) -> (bool, String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (f < 0.0, digits, exp)
}

fn exp_form(digits: &str, exp: i32) -> String {
    let mut s = String::new();
    s.push_str(&digits[..1]);
    if digits.len() > 1 {
        s.push('.');
        s.push_str(&digits[1..]);
    }
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    s.push_str(&format!("{:02}", exp.abs()));
    s
}

fn plain_form(digits: &str, exp: i32) -> String {
    let nd = digits.len() as i32;
    if exp < 0 {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
    } else if exp + 1 >= nd {
        format!("{}{}", digits, "0".repeat((exp + 1 - nd) as usize))
    } else {
        let (a, b) = digits.split_at((exp + 1) as usize);
        format!("{a}.{b}")
    }
}

/// `encoding/json` float formatting.
pub fn json_float(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let (neg, digits, exp) = shortest_digits(f);
    let sign = if neg { "-" } else { "" };
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        let mut e = exp_form(&digits, exp);
        // json: "e-07" → "e-7"
        if let Some(i) = e.find("e-0") {
            e.remove(i + 2);
        } else if let Some(i) = e.find("e+0") {
            e.remove(i + 2);
        }
        return format!("{sign}{e}");
    }
    format!("{sign}{}", plain_form(&digits, exp))
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Value::Str(_));
        if i > 0 && !is_str && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        out.push_str(&arg_v(a));
    }
    out
}

/// `fmt.Sprintln`.
pub fn sprintln(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(arg_v).collect();
    format!("{}\n", parts.join(" "))
}

/// A value passed to fmt (`nil` interface prints `<nil>`).
fn arg_v(v: &Value) -> String {
    match v {
        Value::Invalid => "<nil>".into(),
        v => v.go_string(),
    }
}

fn pad(s: String, width: Option<usize>, minus: bool, zero: bool) -> String {
    let Some(w) = width else { return s };
    let n = s.chars().count();
    if n >= w {
        return s;
    }
    let fill = w - n;
    if minus {
        format!("{s}{}", " ".repeat(fill))
    } else if zero {
        let (sign, rest) = if s.starts_with(['-', '+']) {
            s.split_at(1)
        } else {
            ("", s.as_str())
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

/// `fmt.Sprintf` for the verbs configs use (`v s d q x X f e g t c o b %`).
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut it = format.chars().peekable();
    let mut argi = 0;
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let (mut minus, mut plus, mut zero, mut sharp, mut space) =
            (false, false, false, false, false);
        while let Some(&f) = it.peek() {
            match f {
                '-' => minus = true,
                '+' => plus = true,
                '0' => zero = true,
                '#' => sharp = true,
                ' ' => space = true,
                _ => break,
            }
            it.next();
        }
        let mut width = None;
        if it.peek() == Some(&'*') {
            it.next();
            if let Some(Value::Int(w) | Value::Int64(w)) = args.get(argi) {
                width = Some(w.unsigned_abs() as usize);
                if *w < 0 {
                    minus = true;
                }
            }
            argi += 1;
        }
        while let Some(&d) = it.peek() {
            if let Some(v) = d.to_digit(10) {
                width = Some(width.unwrap_or(0) * 10 + v as usize);
                it.next();
            } else {
                break;
            }
        }
        let mut prec = None;
        if it.peek() == Some(&'.') {
            it.next();
            prec = Some(0);
            while let Some(&d) = it.peek() {
                if let Some(v) = d.to_digit(10) {
                    prec = Some(prec.unwrap_or(0) * 10 + v as usize);
                    it.next();
                } else {
                    break;
                }
            }
        }
        let Some(verb) = it.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        let zero = zero && !minus;
        let bad = || format!("%!{verb}({}={})", arg.type_name(), arg_v(arg));
        let s = match (verb, arg) {
            ('v', Value::Float(f)) if prec.is_some() => format!("{:.*}", prec.unwrap_or(6), f),
            ('v', _) => {
                let s = arg_v(arg);
                if plus && matches!(arg, Value::Int(_) | Value::Int64(_)) && !s.starts_with('-') {
                    format!("+{s}")
                } else {
                    s
                }
            }
            ('s', Value::Str(s)) => match prec {
                Some(p) => s.chars().take(p).collect(),
                None => s.clone(),
            },
            ('s', Value::List(..) | Value::Map(_) | Value::Invalid | Value::Nil) => arg_v(arg),
            ('s', _) => bad(),
            ('q', Value::Str(s)) => {
                if sharp && !s.contains('`') {
                    format!("`{s}`")
                } else {
                    go_quote(s)
                }
            }
            ('q', Value::Int(i) | Value::Int64(i)) => match char::from_u32(*i as u32) {
                Some(c) => format!(
                    "'{}'",
                    &go_quote(&c.to_string())
                        .trim_matches('"')
                        .replace("\\\"", "\"")
                ),
                None => bad(),
            },
            ('d', Value::Int(i) | Value::Int64(i)) => {
                let mut s = i.to_string();
                if plus && *i >= 0 {
                    s.insert(0, '+');
                } else if space && *i >= 0 {
                    s.insert(0, ' ');
                }
                s
            }
            ('x' | 'X', Value::Int(i) | Value::Int64(i)) => {
                let mut s = if *i < 0 {
                    format!("-{:x}", i.unsigned_abs())
                } else {
                    format!("{i:x}")
                };
                if sharp {
                    s = if let Some(r) = s.strip_prefix('-') {
                        format!("-0x{r}")
                    } else {
                        format!("0x{s}")
                    };
                }
                if verb == 'X' { s.to_uppercase() } else { s }
            }
            ('x' | 'X', Value::Str(s)) => {
                let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                if verb == 'X' { h.to_uppercase() } else { h }
            }
            ('o', Value::Int(i) | Value::Int64(i)) => format!("{i:o}"),
            ('b', Value::Int(i) | Value::Int64(i)) => format!("{i:b}"),
            ('c', Value::Int(i) | Value::Int64(i)) => char::from_u32(*i as u32)
                .map(String::from)
                .unwrap_or_else(|| "\u{fffd}".into()),
            ('t', Value::Bool(b)) => b.to_string(),
            ('f' | 'F', Value::Float(f)) => {
                let mut s = format!("{:.*}", prec.unwrap_or(6), f);
                if plus && *f >= 0.0 {
                    s.insert(0, '+');
                }
                s
            }
            ('e', Value::Float(f)) => {
                let s = format!("{:.*e}", prec.unwrap_or(6), f);
                let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                let e: i32 = e.parse().unwrap_or(0);
                format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
            }
            ('g', Value::Float(f)) if prec.is_none() => format_float_g(*f),
            _ => bad(),
        };
        out.push_str(&pad(s, width, minus, zero && !matches!(arg, Value::Str(_))));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), arg_v(a)))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

/// `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() && !is_go_printable(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `json.Marshal` of a template value (map keys sorted, HTML characters escaped).
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    json_write(v, &mut out);
    out
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_write(v: &Value, out: &mut String) {
    match v {
        Value::Invalid | Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)),
        Value::Str(s) | Value::Time(s) => json_str(s, out),
        Value::List(l, _) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_write(x, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, x)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_str(k, out);
                out.push(':');
                json_write(x, out);
            }
            out.push('}');
        }
    }
}

/// `json.Unmarshal` into `interface{}` (numbers become float64).
pub fn from_json(s: &str) -> Option<Value> {
    let v: serde_json::Value = serde_json::from_str(s).ok()?;
    fn conv(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(a) => Value::list(a.into_iter().map(conv).collect()),
            serde_json::Value::Object(o) => {
                Value::map(o.into_iter().map(|(k, v)| (k, conv(v))).collect())
            }
        }
    }
    Some(conv(v))
}
