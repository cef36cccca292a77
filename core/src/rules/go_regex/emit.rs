//! Emission of the parsed Go regexp as an explicit Rust `regex` pattern.

use super::{Node, RepKind};
use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};

// ---------------------------------------------------------------------------------------
// Emission

fn emit_class(c: &ClassUnicode, out: &mut String) {
    if c.ranges().is_empty() {
        // A class that matches nothing.
        out.push_str("[^\\x{0}-\\x{10FFFF}]");
        return;
    }
    out.push('[');
    for r in c.ranges() {
        let (a, b) = (r.start() as u32, r.end() as u32);
        if a == b {
            out.push_str(&format!("\\x{{{a:X}}}"));
        } else {
            out.push_str(&format!("\\x{{{a:X}}}-\\x{{{b:X}}}"));
        }
    }
    out.push(']');
}

pub(super) fn emit(n: &Node, out: &mut String) {
    match n {
        Node::Empty => out.push_str("(?:)"),
        Node::Never => out.push_str("[^\\x{0}-\\x{10FFFF}]"),
        Node::Lit(c, fold) => {
            if *fold {
                let mut cl = ClassUnicode::new([ClassUnicodeRange::new(*c, *c)]);
                cl.case_fold_simple();
                if cl.ranges().len() > 1 || cl.ranges()[0].start() != cl.ranges()[0].end() {
                    emit_class(&cl, out);
                    return;
                }
            }
            out.push_str(&format!("\\x{{{:X}}}", *c as u32));
        }
        Node::Class(c) => emit_class(c, out),
        Node::AnyNotNl => out.push_str("[^\\n]"),
        Node::AnyChar => out.push_str("(?s:.)"),
        Node::BeginLine => out.push_str("(?m:^)"),
        Node::EndLine => out.push_str("(?m:$)"),
        Node::BeginText => out.push_str("\\A"),
        Node::EndText => out.push_str("\\z"),
        Node::WordB => out.push_str("(?-u:\\b)"),
        Node::NoWordB => out.push_str("(?-u:\\B)"),
        Node::Capture(sub, _) => {
            out.push_str("(?:");
            emit(sub, out);
            out.push(')');
        }
        Node::Rep {
            sub,
            kind,
            min,
            max,
            greedy,
            ..
        } => {
            out.push_str("(?:");
            emit(sub, out);
            out.push(')');
            match kind {
                RepKind::Star => out.push('*'),
                RepKind::Plus => out.push('+'),
                RepKind::Quest => out.push('?'),
                RepKind::Repeat => {
                    if *max == -1 {
                        out.push_str(&format!("{{{min},}}"));
                    } else if min == max {
                        out.push_str(&format!("{{{min}}}"));
                    } else {
                        out.push_str(&format!("{{{min},{max}}}"));
                    }
                }
            }
            if !greedy {
                out.push('?');
            }
        }
        Node::Concat(v, _) => {
            for s in v {
                out.push_str("(?:");
                emit(s, out);
                out.push(')');
            }
        }
        Node::Alt(v, _) => {
            out.push_str("(?:");
            for (i, s) in v.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(s, out);
            }
            out.push(')');
        }
    }
}
