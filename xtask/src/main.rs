//! Builds the page bundle into `dist/`: compiles the `web` crate to
//! WebAssembly, generates its JavaScript bindings with the wasm-bindgen
//! library (the same version the page links), and lays out `index.html` from
//! its Trunk directives, so a fresh machine needs neither Trunk nor
//! wasm-bindgen-cli.
//!
//! Usage: `cargo run -p xtask -- dist [--dev]`

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WEB_BIN: &str = "chimera-web";
const BUNDLE_NAME: &str = "chimera_web";
/// The page's reader, a Web Worker built from its own crate.
const READER_BIN: &str = "chimera-reader";
const READER_NAME: &str = "chimera_reader";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("dist") => dist(args.iter().any(|a| a == "--dev")),
        _ => bail!("usage: cargo run -p xtask -- dist [--dev]"),
    }
}

fn dist(dev: bool) -> Result<()> {
    let root = workspace_root();
    let dist = root.join("dist");
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("clearing {}", dist.display()))?;
    }
    fs::create_dir_all(&dist)?;

    // The page, optimised for size; the reader, for speed.
    let (page_profile, reader_profile) = if dev {
        ("dev", "dev")
    } else {
        ("web-release", "web-reader")
    };
    let page = build_wasm(&root, WEB_BIN, page_profile)?;
    bindgen(&page, BUNDLE_NAME, &dist, dev)?;
    let reader = build_wasm(&root, READER_BIN, reader_profile)?;
    bindgen(&reader, READER_NAME, &dist, dev)?;
    if !dev {
        // Rust's stack sits below its data and grows down towards address
        // 0, so the lowest kilobyte is never used: binaryen may then fold
        // small constant addresses into loads and stores (2 KB less).
        optimise_wasm(
            &root,
            &dist.join(format!("{BUNDLE_NAME}_bg.wasm")),
            &["-Oz", "--low-memory-unused"],
        )?;
        optimise_wasm(
            &root,
            &dist.join(format!("{READER_NAME}_bg.wasm")),
            &["-O3"],
        )?;
    }

    let template = fs::read_to_string(root.join("index.html")).context("reading index.html")?;
    let html = lay_out(&root, &dist, &template)?;
    fs::write(dist.join("index.html"), html)?;
    fs::write(
        dist.join("boot.js"),
        format!(
            "import init from '/{BUNDLE_NAME}.js';\ninit({{ module_or_path: '/{BUNDLE_NAME}_bg.wasm' }});\n"
        ),
    )?;
    // The reader's start-up script: the page posts it the compiled module
    // first, and the job once it has answered "ready".
    fs::write(
        dist.join("reader.js"),
        format!(
            "import init from '/{READER_NAME}.js';\n\
             self.onmessage = async (event) => {{\n\
             \x20 self.onmessage = null;\n\
             \x20 try {{\n\
             \x20   await init({{ module_or_path: event.data }});\n\
             \x20   self.postMessage({{ kind: 'ready' }});\n\
             \x20 }} catch (error) {{\n\
             \x20   self.postMessage({{ kind: 'failed', message: String(error) }});\n\
             \x20 }}\n\
             }};\n"
        ),
    )?;

    compress_tree(&dist)?;
    report_sizes(&dist)?;
    Ok(())
}

/// Compiles one binary of the workspace to WebAssembly; returns its path.
fn build_wasm(root: &Path, bin: &str, profile: &str) -> Result<PathBuf> {
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "-p",
            bin,
            "--target",
            WASM_TARGET,
            "--profile",
            profile,
        ])
        .status()
        .with_context(|| format!("running cargo build for {bin}"))?;
    if !status.success() {
        bail!("building {bin} failed");
    }
    let profile_dir = if profile == "dev" { "debug" } else { profile };
    Ok(target_dir
        .join(WASM_TARGET)
        .join(profile_dir)
        .join(format!("{bin}.wasm")))
}

/// Generates the JavaScript bindings of `wasm` into `dist` as `name.js` and
/// `name_bg.wasm`.
fn bindgen(wasm: &Path, name: &str, dist: &Path, dev: bool) -> Result<()> {
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name(name)
        .web(true)?
        .debug(dev)
        .generate(dist)
        .with_context(|| format!("generating the JavaScript bindings of {name}"))
}

/// Shrinks the bundle with binaryen's `wasm-opt` from `tools/node_modules`
/// (`npm ci` in `tools/`, which `scripts/setup.sh` runs), or the one named by
/// `WASM_OPT`. Debian's own binaryen package is too old: its output fails
/// to start in browsers, so it is never picked up from PATH.
fn optimise_wasm(root: &Path, wasm: &Path, passes: &[&str]) -> Result<()> {
    let tool = std::env::var_os("WASM_OPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("tools/node_modules/.bin/wasm-opt"));
    if !tool.exists() {
        println!(
            "note: {} not found; the page bundle is not size-optimised (run scripts/setup.sh)",
            tool.display()
        );
        return Ok(());
    }
    let optimised = wasm.with_extension("opt.wasm");
    let status = Command::new(&tool)
        .args(passes)
        .args([
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
        ])
        .args([
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&optimised)
        .status()
        .with_context(|| format!("running {}", tool.display()))?;
    if !status.success() {
        bail!("wasm-opt failed on {}", wasm.display());
    }
    fs::rename(&optimised, wasm)?;
    Ok(())
}

/// Follows the `<link data-trunk ...>` directives of the Trunk entry page:
/// `css` is copied and linked, `copy-dir` copied, `rust` replaced by the
/// module script that boots the page.
fn lay_out(root: &Path, dist: &Path, template: &str) -> Result<String> {
    let mut html = String::with_capacity(template.len());
    for line in template.lines() {
        let trimmed = line.trim();
        if !trimmed.starts_with("<link data-trunk") {
            html.push_str(line);
            html.push('\n');
            continue;
        }
        let rel = attribute(trimmed, "rel").context("a data-trunk link without rel")?;
        let href = attribute(trimmed, "href").unwrap_or_default();
        match rel.as_str() {
            "css" => {
                let source = root.join(&href);
                let name = source
                    .file_name()
                    .context("css href without a file name")?
                    .to_string_lossy()
                    .into_owned();
                fs::copy(&source, dist.join(&name))
                    .with_context(|| format!("copying {}", source.display()))?;
                html.push_str(&format!("  <link rel=\"stylesheet\" href=\"/{name}\">\n"));
            }
            "icon" => {
                let source = root.join(&href);
                let name = source
                    .file_name()
                    .context("icon href without a file name")?
                    .to_string_lossy()
                    .into_owned();
                fs::copy(&source, dist.join(&name))
                    .with_context(|| format!("copying {}", source.display()))?;
                html.push_str(&format!("  <link rel=\"icon\" href=\"/{name}\">\n"));
            }
            "copy-dir" => {
                let source = root.join(&href);
                let name = source.file_name().context("copy-dir without a name")?;
                copy_dir(&source, &dist.join(name))?;
            }
            "rust" => {
                html.push_str(&format!(
                    "  <link rel=\"modulepreload\" href=\"/{BUNDLE_NAME}.js\">\n"
                ));
                html.push_str(&format!(
                    "  <link rel=\"preload\" href=\"/{BUNDLE_NAME}_bg.wasm\" as=\"fetch\" type=\"application/wasm\" crossorigin>\n"
                ));
                html.push_str("  <script type=\"module\" src=\"/boot.js\"></script>\n");
            }
            other => bail!("unsupported data-trunk rel={other}"),
        }
    }
    Ok(html)
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_owned())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for item in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let item = item?;
        let target = to.join(item.file_name());
        if item.file_type()?.is_dir() {
            copy_dir(&item.path(), &target)?;
        } else {
            fs::copy(item.path(), &target)?;
        }
    }
    Ok(())
}

/// Writes `.br` and `.gz` beside every text and wasm file so the companion
/// can serve them precompressed.
fn compress_tree(dir: &Path) -> Result<()> {
    for item in fs::read_dir(dir)? {
        let path = item?.path();
        if path.is_dir() {
            continue;
        }
        let compressible = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("html" | "js" | "css" | "wasm" | "json" | "svg")
        );
        if !compressible {
            continue;
        }
        let data = fs::read(&path)?;
        let mut brotli_out = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut data.as_slice(), &mut brotli_out, &params)?;
        fs::write(with_suffix(&path, "br"), brotli_out)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &data)?;
        fs::write(with_suffix(&path, "gz"), gz.finish()?)?;
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn report_sizes(dist: &Path) -> Result<()> {
    let page = [
        format!("{BUNDLE_NAME}_bg.wasm"),
        format!("{BUNDLE_NAME}.js"),
        "index.html".into(),
        "boot.js".into(),
        "style.css".into(),
        "favicon.svg".into(),
    ];
    let reader = [
        format!("{READER_NAME}_bg.wasm"),
        format!("{READER_NAME}.js"),
        "reader.js".into(),
    ];
    for (what, names) in [
        ("page bundle", &page[..]),
        ("reader (loaded after the page)", &reader[..]),
    ] {
        let (mut raw, mut brotli) = (0, 0);
        for name in names {
            let path = dist.join(name);
            if let Ok(meta) = fs::metadata(&path) {
                raw += meta.len();
                brotli += fs::metadata(with_suffix(&path, "br")).map_or(meta.len(), |m| m.len());
            }
        }
        println!("{what}: {raw} bytes raw, {brotli} bytes brotli");
    }
    println!("in {}", dist.display());
    Ok(())
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}
