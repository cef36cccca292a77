//! A small namespace-aware XML tree for SOAP responses.
//!
//! Real ESXi writes `xsi:type="..."`; govmomi's simulator (Go encoding/xml) writes
//! `XMLSchema-instance:type="..."` with its own prefix declaration. Both are the attribute `type`
//! in the namespace `http://www.w3.org/2001/XMLSchema-instance`, which is what is matched here
//! (quick-xml `NsReader` resolves attribute prefixes), never the literal prefix.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[derive(Debug, thiserror::Error)]
#[error("malformed XML: {0}")]
pub struct XmlError(pub String);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Namespace URI, when bound.
    pub ns: Option<String>,
    /// Local part of the `xsi:type` value (e.g. `ManagedObjectReference`, `string`).
    pub xsi_type: Option<String>,
    /// Other attributes by local name.
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Text of the first child called `name` (trimmed), if any.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Depth-first search for the first element called `name`.
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
    /// All descendants (self included) called `name`, depth first.
    pub fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        if self.name == name {
            out.push(self);
        }
        for c in &self.children {
            c.find_all(name, out);
        }
    }
    /// Follows a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }
}

const XSD_TYPES: &[&str] = &[
    "string",
    "int",
    "long",
    "short",
    "byte",
    "boolean",
    "dateTime",
    "base64Binary",
    "float",
    "double",
    "anyURI",
    "anyType",
];

impl Element {
    /// Serialises the element back to XML (vim25 default namespace assumed in scope, `xsi` and
    /// `xsd` prefixes declared on the envelope), under `name` instead of its own name.
    pub fn to_xml_as(&self, name: &str) -> String {
        let mut out = String::new();
        self.write_xml(name, &mut out);
        out
    }

    fn write_xml(&self, name: &str, out: &mut String) {
        out.push('<');
        out.push_str(name);
        if let Some(t) = &self.xsi_type {
            let prefix = if XSD_TYPES.contains(&t.as_str()) {
                "xsd:"
            } else {
                ""
            };
            out.push_str(&format!(" xsi:type=\"{prefix}{t}\""));
        }
        for (k, v) in &self.attrs {
            out.push_str(&format!(" {k}=\"{}\"", escape(v)));
        }
        out.push('>');
        if self.children.is_empty() {
            out.push_str(&escape(&self.text));
        } else {
            for c in &self.children {
                c.write_xml(&c.name, out);
            }
        }
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

fn local_type(v: &str) -> String {
    v.rsplit(':').next().unwrap_or(v).to_string()
}

/// Parses a whole document and returns its root element.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    let err = |e: &dyn std::fmt::Display| XmlError(e.to_string());
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| err(&e))?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
            _ => None,
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let mut el = Element {
                    name: e.local_name().as_ref().to_string(),
                    ns,
                    ..Element::default()
                };
                for a in e.attributes() {
                    let a = a.map_err(|e| err(&e))?;
                    let (ans, local) = reader.resolver().resolve_attribute(a.key);
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| err(&e))?
                        .into_owned();
                    let local = local.as_ref().to_string();
                    match ans {
                        ResolveResult::Bound(n) if n.as_ref() == XSI_NS && local == "type" => {
                            el.xsi_type = Some(local_type(&value));
                        }
                        ResolveResult::Bound(n)
                            if n.as_ref() == "http://www.w3.org/2000/xmlns/" => {}
                        _ if a.key.as_ref().starts_with("xmlns") => {}
                        _ => el.attrs.push((local, value)),
                    }
                }
                if matches!(event, Event::Empty(_)) {
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(el);
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Err(XmlError("unbalanced end tag".into())),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| err(&e))?
                } else {
                    match r.xml10_content().as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        other => return Err(XmlError(format!("unknown entity &{other};"))),
                    }
                };
                if let (Some(c), Some(top)) = (c, stack.last_mut()) {
                    top.text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(XmlError("document ended inside an element".into()));
    }
    stack
        .pop()
        .and_then(|mut doc| doc.children.pop())
        .ok_or_else(|| XmlError("empty document".into()))
}

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_xsi_type_resolve() {
        let esxi = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><R xmlns="urn:vim25"><returnval xsi:type="xsd:string">a &amp; b</returnval></R></soapenv:Body></soapenv:Envelope>"#;
        let sim = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><R xmlns="urn:vim25"><returnval xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type="xsd:string">a &amp; b</returnval></R></soapenv:Body></soapenv:Envelope>"#;
        for doc in [esxi, sim] {
            let root = parse(doc).unwrap();
            let rv = root.find("returnval").unwrap();
            assert_eq!(rv.xsi_type.as_deref(), Some("string"));
            assert_eq!(rv.text, "a & b");
            assert!(rv.attrs.is_empty());
            assert_eq!(
                root.child("Body").unwrap().ns.as_deref(),
                Some("http://schemas.xmlsoap.org/soap/envelope/")
            );
            assert_eq!(rv.ns.as_deref(), Some("urn:vim25"));
        }
    }

    #[test]
    fn a_literal_xsi_prefix_bound_elsewhere_is_not_a_type() {
        let doc = r#"<a xmlns:xsi="urn:other"><b xsi:type="Nope" type="plain">x</b></a>"#;
        let root = parse(doc).unwrap();
        let b = root.child("b").unwrap();
        assert_eq!(b.xsi_type, None);
        assert_eq!(b.attrs.len(), 2);
    }

    #[test]
    fn reserialises_with_standard_prefixes() {
        let doc = r#"<a xmlns="urn:vim25" xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"><spec XMLSchema-instance:type="VirtualMachineImportSpec"><v XMLSchema-instance:type="xsd:int">4</v><obj type="Folder">f&lt;1</obj></spec></a>"#;
        let root = parse(doc).unwrap();
        assert_eq!(
            root.child("spec").unwrap().to_xml_as("spec"),
            r#"<spec xsi:type="VirtualMachineImportSpec"><v xsi:type="xsd:int">4</v><obj type="Folder">f&lt;1</obj></spec>"#
        );
    }

    #[test]
    fn malformed_is_an_error() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("").is_err());
        assert_eq!(escape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
    }
}
