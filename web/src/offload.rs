//! Work the page hands to its worker (`chimera-reader`) because it is not
//! needed to show the page: rendering Markdown reports and coding the
//! links that carry a whole report. Keeping Markdown and compression out of
//! the page's own module makes the page smaller to download.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::load::{self, field};

fn job(kind: &str, fields: &[(&str, JsValue)]) -> Object {
    let message = Object::new();
    let _ = Reflect::set(&message, &"job".into(), &kind.into());
    for (key, value) in fields {
        let _ = Reflect::set(&message, &JsValue::from_str(key), value);
    }
    message
}

/// Each Markdown text as HTML that is safe to put in the page.
pub async fn markdown_to_html(texts: &[String]) -> Result<Vec<String>, String> {
    let texts: Array = texts.iter().map(|t| JsValue::from_str(t)).collect();
    let reply = load::ask(&job("markdown", &[("texts", texts.into())])).await?;
    let html: Array = field(&reply, "texts")
        .dyn_into()
        .map_err(|_| "the worker sent no HTML".to_string())?;
    Ok(html
        .iter()
        .map(|h| h.as_string().unwrap_or_default())
        .collect())
}

/// The fragment (`#report=...`) of a link that carries the report whose
/// snapshot JSON this is. The inner error says why the report is too large
/// for such a link; the outer one that the worker could not answer.
pub async fn fragment_of(snapshot_json: String) -> Result<Result<String, String>, String> {
    let reply = load::ask(&job("fragment", &[("snapshot", snapshot_json.into())])).await?;
    if let Some(too_large) = field(&reply, "too_large").as_string() {
        return Ok(Err(too_large));
    }
    field(&reply, "text")
        .as_string()
        .map(Ok)
        .ok_or_else(|| "the worker sent no link".into())
}

/// The snapshot JSON a link's fragment carries, unchecked.
pub async fn fragment_json(fragment: String) -> Result<Vec<u8>, String> {
    let reply = load::ask(&job("fragment_json", &[("fragment", fragment.into())])).await?;
    field(&reply, "bytes")
        .dyn_into::<Uint8Array>()
        .map(|bytes| bytes.to_vec())
        .map_err(|_| "the worker sent no report".to_string())
}
