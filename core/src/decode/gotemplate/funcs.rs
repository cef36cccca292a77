//! The function map Traefik's file provider installs: Go's builtins, sprig v3.2.3's
//! `TxtFuncMap`, `normalize` and `split` (= `strings.Split`).

use std::collections::BTreeMap;

use super::fmt as gofmt;
use super::value::{ListTy, Value};

/// Prefix of a `call` error meaning "not evaluated faithfully here".
pub const UNSUPPORTED: &str = "\0unsupported:";

/// Parameter types (what Go's `evalArg` converts an argument to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pt {
    /// `interface{}`.
    Any,
    /// `reflect.Value` (builtins): anything, including no value.
    Reflect,
    Str,
    Int,
    Bool,
    /// `map[string]interface{}`.
    Map,
}

pub struct Sig {
    pub params: &'static [Pt],
    pub variadic: Option<Pt>,
}

const fn sig(params: &'static [Pt], variadic: Option<Pt>) -> Sig {
    Sig { params, variadic }
}

use Pt::*;

/// How a call affects the trustworthiness of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Pure,
    /// Reads the process environment.
    Env,
    /// Output changes between runs.
    Nondeterministic,
    /// Order follows Go's random map iteration (`keys`, `values`) when there are 2+ entries.
    MapOrder,
}

/// Every name in Traefik's function map (Go builtins + sprig + Traefik's two).
const SPRIG_NAMES: &[&str] = &[
    "hello",
    "ago",
    "date",
    "date_in_zone",
    "date_modify",
    "dateInZone",
    "dateModify",
    "duration",
    "durationRound",
    "htmlDate",
    "htmlDateInZone",
    "must_date_modify",
    "mustDateModify",
    "mustToDate",
    "now",
    "toDate",
    "unixEpoch",
    "abbrev",
    "abbrevboth",
    "trunc",
    "trim",
    "upper",
    "lower",
    "title",
    "untitle",
    "substr",
    "repeat",
    "trimall",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "nospace",
    "initials",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "randSeededNumeric",
    "swapcase",
    "shuffle",
    "snakecase",
    "camelcase",
    "kebabcase",
    "wrap",
    "wrapWith",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "quote",
    "squote",
    "cat",
    "indent",
    "nindent",
    "replace",
    "plural",
    "sha1sum",
    "sha256sum",
    "adler32sum",
    "toString",
    "atoi",
    "int64",
    "int",
    "float64",
    "seq",
    "toDecimal",
    "split",
    "splitList",
    "splitn",
    "toStrings",
    "until",
    "untilStep",
    "add1",
    "add",
    "sub",
    "div",
    "mod",
    "mul",
    "randInt",
    "add1f",
    "addf",
    "subf",
    "divf",
    "mulf",
    "biggest",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "join",
    "sortAlpha",
    "default",
    "empty",
    "coalesce",
    "all",
    "any",
    "compact",
    "mustCompact",
    "fromJson",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "mustFromJson",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "ternary",
    "deepCopy",
    "mustDeepCopy",
    "typeOf",
    "typeIs",
    "typeIsLike",
    "kindOf",
    "kindIs",
    "deepEqual",
    "env",
    "expandenv",
    "getHostByName",
    "base",
    "dir",
    "clean",
    "ext",
    "isAbs",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "b64enc",
    "b64dec",
    "b32enc",
    "b32dec",
    "tuple",
    "list",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "pluck",
    "keys",
    "pick",
    "omit",
    "merge",
    "mergeOverwrite",
    "mustMerge",
    "mustMergeOverwrite",
    "values",
    "append",
    "push",
    "mustAppend",
    "mustPush",
    "prepend",
    "mustPrepend",
    "first",
    "mustFirst",
    "rest",
    "mustRest",
    "last",
    "mustLast",
    "initial",
    "mustInitial",
    "reverse",
    "mustReverse",
    "uniq",
    "mustUniq",
    "without",
    "mustWithout",
    "has",
    "mustHas",
    "slice",
    "mustSlice",
    "concat",
    "dig",
    "chunk",
    "mustChunk",
    "bcrypt",
    "htpasswd",
    "genPrivateKey",
    "derivePassword",
    "buildCustomCert",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "decryptAES",
    "randBytes",
    "uuidv4",
    "semver",
    "semverCompare",
    "fail",
    "regexMatch",
    "mustRegexMatch",
    "regexFindAll",
    "mustRegexFindAll",
    "regexFind",
    "mustRegexFind",
    "regexReplaceAll",
    "mustRegexReplaceAll",
    "regexReplaceAllLiteral",
    "mustRegexReplaceAllLiteral",
    "regexSplit",
    "mustRegexSplit",
    "regexQuoteMeta",
    "urlParse",
    "urlJoin",
    "normalize",
];

const BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// Whether Go would accept the identifier at parse time.
pub fn exists(name: &str) -> bool {
    BUILTINS.contains(&name) || SPRIG_NAMES.contains(&name)
}

/// Signature of a function this evaluator implements (`None`: known to Traefik but
/// not implemented here).
pub fn signature(name: &str) -> Option<Sig> {
    Some(match name {
        // builtins (and/or are handled by the executor)
        "and" | "or" => sig(&[Reflect], Some(Reflect)),
        "not" | "len" => sig(&[Reflect], None),
        "index" => sig(&[Reflect], Some(Reflect)),
        "slice" => sig(&[Any], Some(Any)),
        "print" | "println" | "html" | "js" | "urlquery" => sig(&[], Some(Any)),
        "printf" => sig(&[Str], Some(Any)),
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
            if name == "eq" {
                sig(&[Reflect], Some(Reflect))
            } else {
                sig(&[Reflect, Reflect], None)
            }
        }
        "call" => sig(&[Reflect], Some(Reflect)),
        // sprig
        "until" => sig(&[Int], None),
        "untilStep" => sig(&[Int, Int, Int], None),
        "seq" => sig(&[], Some(Int)),
        "list" | "tuple" | "dict" => sig(&[], Some(Any)),
        "get" => sig(&[Map, Str], None),
        "set" => sig(&[Map, Str, Any], None),
        "unset" => sig(&[Map, Str], None),
        "hasKey" => sig(&[Map, Str], None),
        "keys" => sig(&[], Some(Map)),
        "values" => sig(&[Map], None),
        "first" | "last" | "rest" | "initial" | "reverse" | "uniq" | "compact" => sig(&[Any], None),
        "append" | "push" | "prepend" => sig(&[Any, Any], None),
        "has" => sig(&[Any, Any], None),
        "concat" => sig(&[], Some(Any)),
        "join" => sig(&[Str, Any], None),
        "sortAlpha" | "toStrings" => sig(&[Any], None),
        "split" => sig(&[Str, Str], None),
        "splitList" => sig(&[Str, Str], None),
        "trim" | "upper" | "lower" | "title" | "untitle" | "nospace" | "normalize" | "b64enc"
        | "b64dec" | "env" | "expandenv" | "base" | "dir" | "ext" | "clean" | "sha256sum"
        | "sha1sum" | "atoi" | "regexQuoteMeta" | "swapcase" | "fromJson" => sig(&[Str], None),
        "trimAll" | "trimall" | "trimPrefix" | "trimSuffix" | "contains" | "hasPrefix"
        | "hasSuffix" | "regexMatch" | "regexFind" => sig(&[Str, Str], None),
        "replace" | "regexReplaceAll" | "regexReplaceAllLiteral" => sig(&[Str, Str, Str], None),
        "regexFindAll" | "regexSplit" => sig(&[Str, Str, Int], None),
        "repeat" => sig(&[Int, Str], None),
        "trunc" => sig(&[Int, Str], None),
        "substr" => sig(&[Int, Int, Str], None),
        "indent" | "nindent" => sig(&[Int, Str], None),
        "quote" | "squote" | "cat" => sig(&[], Some(Any)),
        "default" => sig(&[Any], Some(Any)),
        "empty" | "toString" | "int" | "int64" | "float64" | "add1" | "toJson" | "toRawJson"
        | "toPrettyJson" | "kindOf" | "typeOf" => sig(&[Any], None),
        "coalesce" | "all" | "any" | "add" => sig(&[], Some(Any)),
        "ternary" => sig(&[Any, Any, Bool], None),
        "sub" | "div" | "mod" => sig(&[Any, Any], None),
        "mul" | "max" | "min" | "biggest" => sig(&[Any], Some(Any)),
        "fail" => sig(&[Str], None),
        "uuidv4" => sig(&[], None),
        "randAlpha" | "randAlphaNum" | "randNumeric" | "randAscii" => sig(&[Int], None),
        "randInt" => sig(&[Int, Int], None),
        "now" => sig(&[], None),
        _ => return None,
    })
}

pub fn class(name: &str) -> Class {
    match name {
        "env" | "expandenv" => Class::Env,
        "now" | "uuidv4" | "randAlpha" | "randAlphaNum" | "randNumeric" | "randAscii"
        | "randInt" => Class::Nondeterministic,
        "keys" | "values" => Class::MapOrder,
        _ => Class::Pure,
    }
}

/// `strval` in sprig: `%v` of the value, strings unchanged.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Invalid | Value::Nil => "<nil>".into(),
        v => v.go_string(),
    }
}

/// `cast.ToInt64E` (errors → 0).
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => *b as i64,
        Value::Str(s) => {
            let t = trim_zero_decimal(s);
            super::parse::parse_go_int(&t).unwrap_or(0)
        }
        _ => 0,
    }
}

fn trim_zero_decimal(s: &str) -> String {
    if let Some((a, b)) = s.split_once('.')
        && !a.is_empty()
        && b.chars().all(|c| c == '0')
    {
        return a.to_string();
    }
    s.to_string()
}

/// `cast.ToFloat64E` (errors → 0).
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => *b as i64 as f64,
        Value::Str(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// sprig `empty`.
pub fn empty(v: &Value) -> bool {
    !v.truth()
}

/// sprig `strslice`.
fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l, _) => l.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Invalid | Value::Nil => Vec::new(),
        v => vec![strval(v)],
    }
}

fn list_of(name: &str, v: &Value) -> Result<Vec<Value>, String> {
    match v {
        Value::List(l, _) => Ok(l.as_ref().clone()),
        other => Err(format!(
            "Cannot {name} on type {}",
            if other.is_nil() {
                "<nil>"
            } else {
                other.type_name()
            }
        )),
    }
}

fn go_title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let sep = if prev.is_ascii() {
                !(prev.is_ascii_alphanumeric() || prev == '_')
            } else if prev.is_alphabetic() || prev.is_numeric() {
                false
            } else {
                prev.is_whitespace()
            };
            prev = c;
            if sep {
                c.to_uppercase().next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Go `strings.Split`.
fn go_split(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return s.chars().map(String::from).collect();
    }
    s.split(sep).map(str::to_string).collect()
}

/// `regexp.MustCompile` with Go's RE2 syntax (via [`crate::rules::GoRegex`]).
fn regex(re: &str) -> Result<regex::Regex, String> {
    let g = crate::rules::GoRegex::compile(re).map_err(|e| {
        let q = if re
            .chars()
            .all(|c| c != '`' && (c == '\t' || !c.is_control()))
        {
            format!("`{re}`")
        } else {
            gofmt::go_quote(re)
        };
        format!("regexp: Compile({q}): {e}")
    })?;
    match g.regex() {
        Some(r) => Ok(r.clone()),
        None => Err(format!(
            "{UNSUPPORTED}a regular expression this validator cannot compile"
        )),
    }
}

/// A regex with its capture groups for `$n` replacements. [`crate::rules::GoRegex`]
/// drops groups, so the pattern is compiled by Rust after rewriting the Perl classes to
/// Go's ASCII meaning (`\w` → `[0-9A-Za-z_]`, `\b` → ASCII word boundary, ...); patterns
/// with constructs whose meaning still differs (`\p`, POSIX classes, nested `[`) are
/// reported as unsupported.
fn capturing_regex(re: &str) -> Result<regex::Regex, String> {
    let unsupported = || {
        format!(
            "{UNSUPPORTED}a regexReplaceAll with `$` references on a pattern whose meaning may differ between Go and this validator"
        )
    };
    let mut out = String::new();
    let mut in_class = false;
    let mut it = re.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                let Some(e) = it.next() else {
                    return Err(unsupported());
                };
                let (outside, inside) = match e {
                    'w' => ("[0-9A-Za-z_]", Some("0-9A-Za-z_")),
                    'd' => ("[0-9]", Some("0-9")),
                    's' => ("[\\t\\n\\f\\r ]", Some("\\t\\n\\f\\r ")),
                    'W' => ("[^0-9A-Za-z_]", None),
                    'D' => ("[^0-9]", None),
                    'S' => ("[^\\t\\n\\f\\r ]", None),
                    'b' if !in_class => ("(?-u:\\b)", None),
                    'B' if !in_class => ("(?-u:\\B)", None),
                    'p' | 'P' | 'Q' | 'E' | 'b' | 'B' | 'C' | 'Z' | 'e' | '<' | '>' => {
                        return Err(unsupported());
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                        continue;
                    }
                };
                if in_class {
                    out.push_str(inside.ok_or_else(unsupported)?);
                } else {
                    out.push_str(outside);
                }
            }
            '[' if in_class => return Err(unsupported()),
            '[' => {
                in_class = true;
                out.push('[');
                if it.peek() == Some(&'^') {
                    out.push(it.next().unwrap_or('^'));
                }
                if it.peek() == Some(&']') {
                    out.push_str("\\]");
                    it.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && it.peek() == Some(&c) => return Err(unsupported()),
            c => out.push(c),
        }
    }
    regex::Regex::new(&out).map_err(|_| unsupported())
}

/// Go's `Regexp.Expand` syntax, restricted to what maps onto Rust's unnamed groups.
fn replacement_ok(repl: &str) -> bool {
    let b = repl.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            let rest = &repl[i + 1..];
            let name: &str = if let Some(r) = rest.strip_prefix('{') {
                r.split('}').next().unwrap_or("")
            } else {
                let n = rest
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    .count();
                &rest[..n]
            };
            if !name.is_empty() && !name.bytes().all(|c| c.is_ascii_digit()) {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// Go's `strings.ToUpper`/`ToLower`: one rune → one rune (no `ß` → `SS`).
fn map_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            // Go uses the simple (one-rune) mappings: `ß` stays, `İ` lowers to `i`.
            match m.len() {
                1 => m.pop().unwrap_or(c),
                _ if !upper => m[0],
                _ => c,
            }
        })
        .collect()
}

/// Go `os.Expand` with `os.Getenv`.
fn expand_env(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            out.push_str(&s[last..i]);
            let rest = &s[i + 1..];
            let (name, w) = if let Some(r) = rest.strip_prefix('{') {
                match r.find('}') {
                    Some(0) | None => ("", if r.find('}').is_some() { 2 } else { 1 }),
                    Some(e) => (&r[..e], e + 2),
                }
            } else if rest.as_bytes()[0].is_ascii_digit()
                || b"*#$@!?-".contains(&rest.as_bytes()[0])
            {
                (&rest[..1], 1)
            } else {
                let n = rest
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    .count();
                (&rest[..n], n)
            };
            if name.is_empty() && w > 0 {
                // bad syntax: `${}` is eaten, `${` alone is eaten
            } else if name.is_empty() {
                out.push('$');
            } else {
                out.push_str(&std::env::var(name).unwrap_or_default());
            }
            i += 1 + w;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[last..]);
    out
}

fn rand_string(n: i64, alphabet: &[u8]) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let mut x = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(42)
        | 1;
    (0..n.max(0))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            alphabet[(x % alphabet.len() as u64) as usize] as char
        })
        .collect()
}

fn s(v: &Value) -> &str {
    match v {
        Value::Str(s) => s,
        _ => "",
    }
}

fn i(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

/// Call a sprig / Traefik function (builtins are in the executor). `Err` is the
/// error Go reports after "error calling NAME: ".
pub fn call(name: &str, a: &[Value]) -> Result<Value, String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(match name {
        "until" => untilstep(0, i(&a[0]), if i(&a[0]) < 0 { -1 } else { 1 }),
        "untilStep" => untilstep(i(&a[0]), i(&a[1]), i(&a[2])),
        "seq" => seq(&a.iter().map(i).collect::<Vec<_>>()),
        "list" | "tuple" => Value::list(a.iter().cloned().map(Value::stored).collect()),
        "dict" => {
            let mut m = BTreeMap::new();
            for pair in a.chunks(2) {
                let v = pair.get(1).cloned().map(Value::stored).unwrap_or(Value::str(""));
                m.insert(strval(&pair[0]), v);
            }
            Value::map(m)
        }
        "get" => map_of(&a[0])
            .borrow()
            .get(s(&a[1]))
            .cloned()
            .unwrap_or(Value::str("")),
        "set" => {
            map_of(&a[0]).borrow_mut().insert(s(&a[1]).to_string(), a[2].clone().stored());
            a[0].clone()
        }
        "unset" => {
            map_of(&a[0]).borrow_mut().remove(s(&a[1]));
            a[0].clone()
        }
        "hasKey" => Value::Bool(map_of(&a[0]).borrow().contains_key(s(&a[1]))),
        "keys" => {
            let mut k = Vec::new();
            for m in a {
                k.extend(map_of(m).borrow().keys().cloned());
            }
            Value::str_list(k)
        }
        "values" => Value::list(map_of(&a[0]).borrow().values().cloned().collect()),
        "first" | "last" => match &a[0] {
            Value::List(l, _) => {
                let x = if name == "first" { l.first() } else { l.last() };
                x.cloned().unwrap_or(Value::Nil)
            }
            Value::Invalid | Value::Nil => Value::Nil,
            other => {
                return Err(format!("Cannot find {name} on type {}", other.type_name()));
            }
        },
        "rest" | "initial" => {
            let l = list_of(&format!("find {name}"), &a[0])?;
            if l.is_empty() {
                Value::Nil
            } else if name == "rest" {
                Value::list(l[1..].to_vec())
            } else {
                Value::list(l[..l.len() - 1].to_vec())
            }
        }
        "reverse" => {
            let mut l = list_of("find reverse", &a[0])?;
            l.reverse();
            Value::list(l)
        }
        "uniq" => {
            let l = list_of("find uniq", &a[0])?;
            let mut out: Vec<Value> = Vec::new();
            for x in l {
                if !out.iter().any(|y| deep_equal(y, &x)) {
                    out.push(x);
                }
            }
            Value::list(out)
        }
        "compact" => {
            let l = list_of("compact", &a[0])?;
            Value::list(l.into_iter().filter(|x| !empty(x)).collect())
        }
        "append" | "push" => {
            let mut l = list_of("push", &a[0])?;
            l.push(a[1].clone().stored());
            Value::list(l)
        }
        "prepend" => {
            let mut l = list_of("prepend", &a[0])?;
            l.insert(0, a[1].clone().stored());
            Value::list(l)
        }
        "has" => match &a[1] {
            Value::List(l, _) => Value::Bool(l.iter().any(|x| deep_equal(x, &a[0]))),
            Value::Invalid | Value::Nil => Value::Bool(false),
            other => return Err(format!("Cannot find has on type {}", other.type_name())),
        },
        "concat" => {
            let mut out = Vec::new();
            for x in a {
                match x {
                    Value::List(l, _) => out.extend(l.iter().cloned()),
                    other => {
                        return Err(format!("Cannot concat type {} as list", other.type_name()));
                    }
                }
            }
            Value::list(out)
        }
        "join" => Value::str(strslice(&a[1]).join(s(&a[0]))),
        "sortAlpha" => {
            let mut l = strslice(&a[0]);
            l.sort();
            Value::str_list(l)
        }
        "toStrings" => Value::str_list(strslice(&a[0])),
        // Traefik's `split` is strings.Split(s, sep).
        "split" => Value::str_list(go_split(s(&a[0]), s(&a[1]))),
        "splitList" => Value::str_list(go_split(s(&a[1]), s(&a[0]))),
        "trim" => Value::str(s(&a[0]).trim_matches(|c: char| c.is_whitespace())),
        "upper" => Value::str(map_case(s(&a[0]), true)),
        "lower" => Value::str(map_case(s(&a[0]), false)),
        "title" => Value::str(go_title(s(&a[0]))),
        "untitle" => {
            let st = s(&a[0]);
            let mut out = String::new();
            let mut prev_space = true;
            for c in st.chars() {
                out.push(if prev_space { c.to_lowercase().next().unwrap_or(c) } else { c });
                prev_space = c.is_whitespace();
            }
            Value::str(out)
        }
        "swapcase" => Value::str(
            s(&a[0])
                .chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().next().unwrap_or(c)
                    } else {
                        c.to_uppercase().next().unwrap_or(c)
                    }
                })
                .collect::<String>(),
        ),
        "nospace" => Value::str(s(&a[0]).chars().filter(|c| !c.is_whitespace()).collect::<String>()),
        "normalize" => Value::str(
            s(&a[0])
                .split(|c: char| !c.is_alphabetic() && !c.is_numeric())
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join("-"),
        ),
        "trimAll" | "trimall" => {
            let cut = s(&a[0]);
            Value::str(s(&a[1]).trim_matches(|c| cut.contains(c)))
        }
        "trimPrefix" => Value::str(s(&a[1]).strip_prefix(s(&a[0])).unwrap_or(s(&a[1]))),
        "trimSuffix" => Value::str(s(&a[1]).strip_suffix(s(&a[0])).unwrap_or(s(&a[1]))),
        "contains" => Value::Bool(s(&a[1]).contains(s(&a[0]))),
        "hasPrefix" => Value::Bool(s(&a[1]).starts_with(s(&a[0]))),
        "hasSuffix" => Value::Bool(s(&a[1]).ends_with(s(&a[0]))),
        "replace" => Value::str(go_replace(s(&a[2]), s(&a[0]), s(&a[1]))),
        "repeat" => {
            if i(&a[0]) < 0 {
                return Err("strings: negative Repeat count".into());
            }
            Value::str(s(&a[1]).repeat(i(&a[0]) as usize))
        }
        "trunc" => {
            let st = s(&a[1]);
            let c = i(&a[0]);
            let n = st.len() as i64;
            Value::str(if c < 0 && -c < n {
                &st[(n + c) as usize..]
            } else if c >= 0 && n > c {
                &st[..c as usize]
            } else {
                st
            })
        }
        "substr" => {
            let st = s(&a[2]);
            let (start, end) = (i(&a[0]), i(&a[1]));
            let n = st.len() as i64;
            Value::str(if start < 0 {
                &st[..end.clamp(0, n) as usize]
            } else if end < 0 || end > n {
                &st[start.min(n) as usize..]
            } else {
                &st[start.min(end) as usize..end as usize]
            })
        }
        "indent" | "nindent" => {
            let pad = " ".repeat(i(&a[0]).max(0) as usize);
            let r = format!("{pad}{}", s(&a[1]).replace('\n', &format!("\n{pad}")));
            Value::str(if name == "nindent" { format!("\n{r}") } else { r })
        }
        "quote" => Value::str(
            a.iter()
                .filter(|x| !x.is_nil())
                .map(|x| gofmt::go_quote(&strval(x)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "squote" => Value::str(
            a.iter()
                .filter(|x| !x.is_nil())
                .map(|x| format!("'{}'", strval(x)))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "cat" => Value::str(
            a.iter()
                .filter(|x| !x.is_nil())
                .map(strval)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "default" => {
            if a.len() < 2 || empty(&a[1]) {
                a[0].clone()
            } else {
                a[1].clone()
            }
        }
        "empty" => Value::Bool(empty(&a[0])),
        "coalesce" => a.iter().find(|x| !empty(x)).cloned().unwrap_or(Value::Nil),
        "all" => Value::Bool(a.iter().all(|x| !empty(x))),
        "any" => Value::Bool(a.is_empty() || a.iter().any(|x| !empty(x))),
        "ternary" => {
            if matches!(a[2], Value::Bool(true)) {
                a[0].clone()
            } else {
                a[1].clone()
            }
        }
        "toString" => Value::str(strval(&a[0])),
        "atoi" => Value::Int(s(&a[0]).parse::<i64>().unwrap_or(0)),
        "int" => Value::Int(to_int64(&a[0])),
        "int64" => Value::Int64(to_int64(&a[0])),
        "float64" => Value::Float(to_float64(&a[0])),
        "add" => Value::Int64(a.iter().map(to_int64).fold(0i64, i64::wrapping_add)),
        "add1" => Value::Int64(to_int64(&a[0]).wrapping_add(1)),
        "sub" => Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))),
        "mul" => Value::Int64(a.iter().map(to_int64).fold(1i64, i64::wrapping_mul)),
        "div" | "mod" => {
            let (x, y) = (to_int64(&a[0]), to_int64(&a[1]));
            if y == 0 {
                return Err("runtime error: integer divide by zero".into());
            }
            Value::Int64(if name == "div" { x.wrapping_div(y) } else { x.wrapping_rem(y) })
        }
        "max" | "biggest" => Value::Int64(a.iter().map(to_int64).max().unwrap_or(0)),
        "min" => Value::Int64(a.iter().map(to_int64).min().unwrap_or(0)),
        "env" => Value::str(std::env::var(s(&a[0])).unwrap_or_default()),
        "expandenv" => Value::str(expand_env(s(&a[0]))),
        "b64enc" => Value::str(b64.encode(s(&a[0]))),
        "b64dec" => match b64.decode(s(&a[0])) {
            Ok(b) => Value::str(String::from_utf8_lossy(&b).into_owned()),
            Err(_) => return Err(format!("{UNSUPPORTED}b64dec of input that is not valid base64")),
        },
        "base" => Value::str(path_base(s(&a[0]))),
        "ext" => {
            let p = s(&a[0]);
            let base_start = p.rfind('/').map(|x| x + 1).unwrap_or(0);
            Value::str(p[base_start..].rfind('.').map(|d| &p[base_start + d..]).unwrap_or(""))
        }
        "toJson" | "toRawJson" => Value::str(gofmt::to_json(&a[0])),
        "fromJson" => gofmt::from_json(s(&a[0])).unwrap_or(Value::Nil),
        "kindOf" => Value::str(match &a[0] {
            Value::Invalid | Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(..) => "slice",
            Value::Map(_) => "map",
            Value::Time(_) => "struct",
        }),
        "typeOf" => Value::str(match &a[0] {
            Value::Invalid | Value::Nil => "<nil>",
            v => v.type_name(),
        }),
        "regexMatch" => Value::Bool(regex(s(&a[0]))?.is_match(s(&a[1]))),
        "regexFind" => Value::str(
            regex(s(&a[0]))?
                .find(s(&a[1]))
                .map(|m| m.as_str())
                .unwrap_or(""),
        ),
        "regexFindAll" => {
            let re = regex(s(&a[0]))?;
            let n = i(&a[2]);
            let all: Vec<String> = re
                .find_iter(s(&a[1]))
                .take(if n < 0 { usize::MAX } else { n as usize })
                .map(|m| m.as_str().to_string())
                .collect();
            Value::str_list(all)
        }
        "regexReplaceAll" if !replacement_ok(s(&a[2])) => {
            return Err(format!("{UNSUPPORTED}a named group in a regexReplaceAll replacement"));
        }
        "regexReplaceAll" => {
            let re = regex(s(&a[0]))?;
            let re = if s(&a[2]).contains('$') {
                capturing_regex(s(&a[0]))?
            } else {
                re
            };
            Value::str(re.replace_all(s(&a[1]), s(&a[2])).into_owned())
        }
        "regexReplaceAllLiteral" => Value::str(
            regex(s(&a[0]))?
                .replace_all(s(&a[1]), regex::NoExpand(s(&a[2])))
                .into_owned(),
        ),
        "regexQuoteMeta" => Value::str(regex::escape(s(&a[0]))),
        "fail" => return Err(s(&a[0]).to_string()),
        "sha256sum" => {
            use sha2::Digest;
            let h = sha2::Sha256::digest(s(&a[0]).as_bytes());
            Value::str(h.iter().map(|b| format!("{b:02x}")).collect::<String>())
        }
        "uuidv4" => {
            let h = rand_string(32, b"0123456789abcdef");
            Value::str(format!(
                "{}-{}-4{}-a{}-{}",
                &h[..8],
                &h[8..12],
                &h[13..16],
                &h[17..20],
                &h[20..32]
            ))
        }
        "randAlpha" => Value::str(rand_string(
            i(&a[0]),
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        )),
        "randAlphaNum" => Value::str(rand_string(
            i(&a[0]),
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        )),
        "randNumeric" => Value::str(rand_string(i(&a[0]), b"0123456789")),
        "randAscii" => Value::str(rand_string(
            i(&a[0]),
            b"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        )),
        "randInt" => {
            let (lo, hi) = (i(&a[0]), i(&a[1]));
            if hi <= lo {
                return Err("invalid argument to Intn".into());
            }
            let r = rand_string(1, b"0123456789abcdef").as_bytes()[0] as i64;
            Value::Int(lo + r % (hi - lo))
        }
        "now" => Value::Time(now_string()),
        other => return Err(format!("{UNSUPPORTED}function {other}")),
    })
}

fn now_string() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // civil from days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let dd = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{dd:02} {:02}:{:02}:{:02}.{:09} +0000 UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn go_replace(s: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        // Go inserts `new` before every rune and at the end.
        let mut out = String::new();
        for c in s.chars() {
            out.push_str(new);
            out.push(c);
        }
        out.push_str(new);
        return out;
    }
    s.replace(old, new)
}

fn map_of(v: &Value) -> super::value::MapRef {
    match v {
        Value::Map(m) => m.clone(),
        _ => std::rc::Rc::new(std::cell::RefCell::new(BTreeMap::new())),
    }
}

fn untilstep(start: i64, stop: i64, step: i64) -> Value {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return Value::List(std::rc::Rc::new(v), ListTy::Int);
        }
        let mut x = start;
        while x > stop {
            v.push(Value::Int(x));
            x += step;
        }
    } else {
        if step <= 0 {
            return Value::List(std::rc::Rc::new(v), ListTy::Int);
        }
        let mut x = start;
        while x < stop {
            v.push(Value::Int(x));
            x += step;
        }
    }
    Value::List(std::rc::Rc::new(v), ListTy::Int)
}

fn seq(p: &[i64]) -> Value {
    let (start, step, end) = match p {
        [] => return Value::str(""),
        [end] => (1, if *end >= 1 { 1 } else { -1 }, *end),
        [start, end] => (*start, if end >= start { 1 } else { -1 }, *end),
        [start, step, end, ..] => (*start, *step, *end),
    };
    let mut out = Vec::new();
    if step == 0 {
        return Value::str("");
    }
    let mut x = start;
    if step > 0 {
        if end < start {
            return Value::str("");
        }
        while x <= end {
            out.push(x.to_string());
            x += step;
        }
    } else {
        if end > start {
            return Value::str("");
        }
        while x >= end {
            out.push(x.to_string());
            x += step;
        }
    }
    Value::str(out.join(" "))
}

/// `reflect.DeepEqual` on template values.
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Invalid | Value::Nil, Value::Invalid | Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x, tx), Value::List(y, ty)) => {
            tx == ty && x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            let (x, y) = (x.borrow(), y.borrow());
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        _ => false,
    }
}
