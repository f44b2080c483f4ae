//! `ilion stress` end to end: every workload runs on a small data set and
//! reports figures that agree with what it did; the JSON lines parse and
//! carry the documented fields; the HTML report is written whole; and,
//! when Chromium is installed (or `CI=true`, where it must be), the report
//! renders to a screenshot with its charts drawn.

use std::path::Path;
use std::process::Command;

fn ilion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ilion"))
}

/// Runs `ilion stress` with `args`; its standard output.
fn stress(args: &[&str]) -> String {
    let out = ilion()
        .arg("stress")
        .args(args)
        .output()
        .expect("run ilion");
    assert!(
        out.status.success(),
        "ilion stress {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The value of `"field":` in a JSON line, as text (a tiny extractor:
/// the lines are flat objects with one nested array we do not read here).
fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let pattern = format!("\"{name}\":");
    let start = line
        .find(&pattern)
        .unwrap_or_else(|| panic!("no field {name} in {line}"))
        + pattern.len();
    let rest = &line[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim_matches('"')
}

fn number(line: &str, name: &str) -> f64 {
    field(line, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number in {line}"))
}

#[test]
fn every_workload_runs_and_reports_what_it_did() {
    let dir = tempfile::tempdir().expect("dir");
    let workloads = [
        "fillseq",
        "fillrandom",
        "overwrite",
        "readrandom",
        "readmissing",
        "readseq",
        "readreverse",
        "seekrandom",
        "readwhilewriting",
        "ycsb-a",
        "ycsb-b",
        "ycsb-c",
        "ycsb-d",
        "ycsb-e",
        "ycsb-f",
        "timeseries",
        "deleterandom",
        "readrandom",
        "waitcompactions",
        "compact",
    ];
    let report = dir.path().join("report.html");
    let out = stress(&[
        "--num",
        "4000",
        "--threads",
        "2",
        "--json",
        "--workload",
        &workloads.join(","),
        "--report",
        report.to_str().expect("path"),
        "--dir",
        dir.path().join("data").to_str().expect("path"),
    ]);
    let lines: Vec<&str> = out.lines().collect();
    // ycsb-a triggers a load first.
    let names: Vec<&str> = lines.iter().map(|l| field(l, "workload")).collect();
    let mut expected: Vec<&str> = workloads.to_vec();
    expected.insert(9, "ycsb-load");
    assert_eq!(names, expected);
    let by_name = |name: &str| -> Vec<&str> {
        lines
            .iter()
            .copied()
            .filter(|l| field(l, "workload") == name)
            .collect()
    };
    for line in &lines {
        for f in [
            "ops_per_sec",
            "p50_us",
            "p90_us",
            "p99_us",
            "p999_us",
            "p9999_us",
            "max_us",
            "bytes_written",
            "bytes_read",
            "table_bytes",
            "sstables",
        ] {
            assert!(number(line, f) >= 0.0, "{f} in {line}");
        }
        assert!(number(line, "p50_us") <= number(line, "p99_us"));
        assert!(number(line, "p99_us") <= number(line, "p9999_us"));
        assert!(number(line, "p9999_us") <= number(line, "max_us") + 1.0);
    }
    let ops = |name: &str| number(by_name(name)[0], "ops");
    let found = |name: &str| number(by_name(name)[0], "found");
    // Fills write every operation; fillseq writes 0..num, all distinct.
    assert_eq!(ops("fillseq"), 4000.0);
    assert_eq!(
        number(by_name("fillseq")[0], "bytes_written"),
        4000.0 * 116.0
    );
    // Every key 0..num exists before the deletes: all reads find theirs.
    assert_eq!(found("readrandom"), ops("readrandom"));
    assert_eq!(found("readmissing"), 0.0);
    // The sequential reads see the whole table, forwards and backwards.
    assert_eq!(ops("readseq"), 4000.0);
    assert_eq!(ops("readreverse"), 4000.0);
    assert_eq!(found("seekrandom"), ops("seekrandom"));
    assert!(number(by_name("readwhilewriting")[0], "background_ops") > 0.0);
    // The load wrote num records; the reads of YCSB find them all.
    assert_eq!(ops("ycsb-load"), 4000.0);
    assert_eq!(found("ycsb-c"), ops("ycsb-c"));
    // Mixed workloads break their operations down by kind.
    for (name, kinds) in [
        ("ycsb-a", &["read", "update"][..]),
        ("ycsb-d", &["read", "insert"]),
        ("ycsb-e", &["scan", "insert"]),
        ("ycsb-f", &["read", "read-modify-write"]),
        ("timeseries", &["append", "read-latest"]),
    ] {
        let line = by_name(name)[0];
        for kind in kinds {
            assert!(
                line.contains(&format!("\"kind\":\"{kind}\"")),
                "{name} lacks {kind}: {line}"
            );
        }
    }
    // Deletes remove keys: a later readrandom misses some.
    let after = number(by_name("readrandom")[1], "found");
    assert!(after < ops("readrandom"), "deleterandom deleted nothing");
    // A major compaction leaves one SSTable per table (key-value pairs,
    // YCSB's records, time series).
    let compact = by_name("compact")[0];
    assert!(number(compact, "space_amplification") >= 0.0);
    assert_eq!(number(compact, "sstables"), 3.0);

    let html = std::fs::read_to_string(&report).expect("report written");
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.matches("<svg").count() >= 3 * 18);
    for name in ["ycsb-e", "timeseries", "readwhilewriting"] {
        assert!(html.contains(name), "{name} missing from the report");
    }
    screenshot(&report);
}

#[test]
fn a_target_rate_paces_the_operations() {
    let out = stress(&[
        "--num",
        "400",
        "--rate",
        "2000",
        "--json",
        "--workload",
        "fillrandom",
    ]);
    let seconds = number(&out, "elapsed_s");
    // 400 operations at 2,000/s take 0.2 s; unpaced they take a few ms.
    assert!((0.19..2.0).contains(&seconds), "{seconds} s");
    assert!(number(&out, "service_p99_us") > 0.0);
}

#[test]
fn a_duration_bounds_each_workload() {
    let out = stress(&[
        "--num",
        "100000000",
        "--duration",
        "0.5",
        "--json",
        "--workload",
        "fillrandom",
    ]);
    let seconds = number(&out, "elapsed_s");
    assert!((0.5..5.0).contains(&seconds), "{seconds} s");
    assert!(number(&out, "ops") < 100_000_000.0);
}

/// Renders `page` in headless Chromium to a PNG; its pixels (RGBA).
fn render(chromium: &Path, page: &Path) -> (Vec<u8>, png::ColorType) {
    let png_path = page.with_extension("png");
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1400,9000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&png_path).expect("screenshot written"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG pixels");
    pixels.truncate(info.buffer_size());
    (pixels, info.color_type)
}

/// Pixels near Ilion's chart colour (#2563eb) in a rendered page.
fn ilion_blue_pixels(chromium: &Path, page: &Path) -> usize {
    let (pixels, colour) = render(chromium, page);
    let step = match colour {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    pixels
        .chunks_exact(step)
        .filter(|p| {
            let near = |a: u8, b: u8| a.abs_diff(b) <= 24;
            near(p[0], 0x25) && near(p[1], 0x63) && near(p[2], 0xeb)
        })
        .count()
}

/// Renders the report in headless Chromium when it is installed and checks
/// that its charts are drawn: the page shows at least twice the pixels of
/// Ilion's line colour, and thousands more, than the same page with every
/// line and point removed (where only legend and table swatches keep the
/// colour).
fn screenshot(report: &Path) {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but /usr/bin/chromium is missing (.ci/run installs it)"
        );
        eprintln!("skipped the screenshot: /usr/bin/chromium is not installed");
        return;
    }
    let with_charts = ilion_blue_pixels(chromium, report);
    let html = std::fs::read_to_string(report).expect("report");
    let stripped = html
        .replace("<polyline", "<desc")
        .replace("</polyline>", "</desc>")
        .replace("<path", "<desc")
        .replace("</path>", "</desc>")
        .replace("<circle", "<desc")
        .replace("</circle>", "</desc>");
    let bare = report.with_file_name("bare.html");
    std::fs::write(&bare, stripped).expect("write");
    let without_lines = ilion_blue_pixels(chromium, &bare);
    assert!(
        with_charts >= 2 * without_lines && with_charts - without_lines > 3000,
        "charts not drawn: {with_charts} line-coloured pixels, {without_lines} without lines"
    );
}

/// Goal: `--sstable-format bti` makes Ilion's tables BTI and reads find
/// every key through the tries. Method: fill, compact into SSTables, read
/// every key back, and look for `da-*-bti-Partitions.db` files in the kept
/// data directory.
#[test]
fn bti_tables_serve_the_workloads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = stress(&[
        "--num",
        "3000",
        "--sstable-format",
        "bti",
        "--json",
        "--dir",
        dir.path().to_str().expect("utf-8 path"),
        "--workload",
        "fillseq,compact,readrandom,readseq",
    ]);
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with('{')).collect();
    let by_name = |name: &str| {
        *lines
            .iter()
            .find(|l| field(l, "workload") == name)
            .unwrap_or_else(|| panic!("no {name} in {out}"))
    };
    let readrandom = by_name("readrandom");
    assert_eq!(number(readrandom, "found"), number(readrandom, "ops"));
    assert_eq!(number(by_name("readseq"), "found"), 3000.0);
    let mut tries = 0;
    let mut pending = vec![dir.path().to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with("-bti-Partitions.db") {
                tries += 1;
            }
        }
    }
    assert!(tries >= 1, "no BTI SSTable written");
}
