//! `\\p{..}` names as Go 1.26's `regexp/syntax` resolves them (`unicodeTable`), mapped to
//! Rust `regex-syntax` property classes.

use super::parse::class_of;
use regex_syntax::hir::{Class, ClassUnicode, HirKind};

/// Go 1.25+ `canonicalName`: first ASCII letter upper-cased, the rest lower-cased, `_`, `-`
/// and spaces removed.
pub(super) fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut first = true;
    for b in name.bytes() {
        let c = match b {
            b'_' | b'-' | b' ' => continue,
            _ if first => {
                first = false;
                b.to_ascii_uppercase()
            }
            _ => b.to_ascii_lowercase(),
        };
        out.push(c as char);
    }
    // Bytes were ASCII-mapped only; non-ASCII bytes were pushed as Latin-1 chars, which
    // never equal a table key, so the lookup below fails for them as in Go.
    out
}

const GO_CATEGORIES: &[&str] = &[
    "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
    "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
    "So", "Z", "Zl", "Zp", "Zs",
];

const GO_CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Other", "C"),
    ("Control", "Cc"),
    ("Cntrl", "Cc"),
    ("Format", "Cf"),
    ("Unassigned", "Cn"),
    ("Privateuse", "Co"),
    ("Surrogate", "Cs"),
    ("Letter", "L"),
    ("Casedletter", "LC"),
    ("Lowercaseletter", "Ll"),
    ("Modifierletter", "Lm"),
    ("Otherletter", "Lo"),
    ("Titlecaseletter", "Lt"),
    ("Uppercaseletter", "Lu"),
    ("Mark", "M"),
    ("Combiningmark", "M"),
    ("Spacingmark", "Mc"),
    ("Enclosingmark", "Me"),
    ("Nonspacingmark", "Mn"),
    ("Number", "N"),
    ("Decimalnumber", "Nd"),
    ("Digit", "Nd"),
    ("Letternumber", "Nl"),
    ("Othernumber", "No"),
    ("Punctuation", "P"),
    ("Punct", "P"),
    ("Connectorpunctuation", "Pc"),
    ("Dashpunctuation", "Pd"),
    ("Closepunctuation", "Pe"),
    ("Finalpunctuation", "Pf"),
    ("Initialpunctuation", "Pi"),
    ("Otherpunctuation", "Po"),
    ("Openpunctuation", "Ps"),
    ("Symbol", "S"),
    ("Currencysymbol", "Sc"),
    ("Modifiersymbol", "Sk"),
    ("Mathsymbol", "Sm"),
    ("Othersymbol", "So"),
    ("Separator", "Z"),
    ("Lineseparator", "Zl"),
    ("Paragraphseparator", "Zp"),
    ("Spaceseparator", "Zs"),
];

/// Scripts of Go's `unicode.Scripts` (Unicode 15.0.0) whose key survives Go's name
/// canonicalisation (keys with `_` or inner capitals, e.g. `Old_Italic`, `SignWriting`,
/// cannot be written in a Go 1.26 pattern).
const GO_SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Carian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dogra",
    "Duployan",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Inherited",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kharoshthi",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Medefaidrin",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nandinagari",
    "Newa",
    "Nko",
    "Nushu",
    "Ogham",
    "Oriya",
    "Osage",
    "Osmanya",
    "Palmyrene",
    "Phoenician",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "Sinhala",
    "Sogdian",
    "Soyombo",
    "Sundanese",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Yezidi",
    "Yi",
];

/// Resolves a Rust property query into a class (empty if Rust does not know it).
pub(super) fn rust_property(query: &str) -> ClassUnicode {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(&format!("\\p{{{query}}}"));
    match hir.map(|h| h.into_kind()) {
        Ok(HirKind::Class(Class::Unicode(c))) => c,
        _ => ClassUnicode::empty(),
    }
}

/// Go's `unicodeTable(name)`: the class for a `\p{name}` that Go accepts, or `None`.
pub(super) fn go_unicode_table(name: &str) -> Option<ClassUnicode> {
    let canon = canonical_name(name);
    let gc = |cat: &str| -> ClassUnicode {
        if cat == "C" {
            // Go's C is Cc|Cf|Co|Cs (no unassigned code points).
            let mut c = rust_property("gc=Cc");
            for x in ["gc=Cf", "gc=Co", "gc=Cs"] {
                c.union(&rust_property(x));
            }
            c
        } else {
            rust_property(&format!("gc={cat}"))
        }
    };
    match canon.as_str() {
        "Any" => return Some(class_of(&[(0, 0x10FFFF)])),
        "Assigned" => {
            let mut c = rust_property("gc=Cn");
            c.negate();
            return Some(c);
        }
        "Ascii" => return Some(class_of(&[(0, 0x7F)])),
        "Lc" => return Some(gc("LC")),
        _ => {}
    }
    if GO_CATEGORIES.contains(&canon.as_str()) {
        return Some(gc(&canon));
    }
    if GO_SCRIPTS.contains(&canon.as_str()) {
        return Some(rust_property(&format!("sc={canon}")));
    }
    GO_CATEGORY_ALIASES
        .iter()
        .find(|(a, _)| *a == canon)
        .map(|(_, cat)| gc(cat))
}
