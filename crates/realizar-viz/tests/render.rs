//! Snapshots of every rendered view, on the seeded demonstration data.
//! Review changes with `cargo insta review` (or set `INSTA_UPDATE=always`
//! and read the diff of `tests/snapshots/`).

use realizar_viz::{
    BenchmarkData, demo, render_ascii_histogram, render_comparison, render_report,
    render_sparkline, svg_comparison, svg_histogram,
};

fn demo_set() -> Vec<BenchmarkData> {
    demo::demo_benchmarks(300, 42).unwrap()
}

#[test]
fn sparklines() {
    let text: String = demo_set()
        .iter()
        .map(|b| format!("{:<40} {}\n", b.name(), render_sparkline(b, 48)))
        .collect();
    insta::assert_snapshot!(text);
}

#[test]
fn ascii_histogram() {
    let d = &demo_set()[2];
    insta::assert_snapshot!(render_ascii_histogram(d, 16, 40));
}

#[test]
fn reports_in_every_unit() {
    let text: String = demo_set().iter().map(render_report).collect();
    insta::assert_snapshot!(text);
    // Seconds too.
    let slow = BenchmarkData::new("lambda/cold_start", vec![1.2e6, 1.5e6, 1.1e6, 1.3e6]).unwrap();
    insta::assert_snapshot!("report_seconds", render_report(&slow));
}

#[test]
fn comparison_table() {
    insta::assert_snapshot!(render_comparison(&demo_set(), 24).unwrap());
}

#[test]
fn svg_charts() {
    let set = demo_set();
    insta::assert_snapshot!("svg_histogram", svg_histogram(&set[1], 24));
    insta::assert_snapshot!("svg_comparison", svg_comparison(&set[..2]).unwrap());
}

#[test]
fn empty_inputs_are_errors() {
    assert!(matches!(
        render_comparison(&[], 10),
        Err(realizar_viz::Error::NoBenchmarks)
    ));
    assert!(svg_comparison(&[]).is_err());
    assert!(BenchmarkData::new("x", vec![]).is_err());
    assert!(BenchmarkData::new("x", vec![1.0, f64::NAN]).is_err());
}

#[cfg(feature = "visualization")]
mod terminal {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use realizar_viz::{Dashboard, render_histogram_ansi, render_histogram_terminal};

    #[test]
    fn ansi_histogram() {
        let d = &demo_set()[2];
        let text = render_histogram_ansi(d, 12, 30);
        assert!(text.contains("\x1b[31m") && text.contains("\x1b[32m"));
        insta::assert_snapshot!(text.replace('\x1b', "\\e"));
    }

    /// A buffer's symbols as lines of text (styles dropped).
    fn text_of(buf: &Buffer) -> String {
        let a = buf.area;
        let mut out = String::new();
        for y in a.top()..a.bottom() {
            for x in a.left()..a.right() {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn terminal_histogram() {
        let d = &demo_set()[0];
        let area = Rect::new(0, 0, 50, 12);
        let mut buf = Buffer::empty(area);
        render_histogram_terminal(d, 24, area, &mut buf);
        insta::assert_snapshot!(text_of(&buf));
    }

    #[test]
    fn dashboard() {
        let set = demo_set();
        let mut dash = Dashboard::new(&set).unwrap();
        let mut term = Terminal::new(TestBackend::new(100, 24)).unwrap();
        term.draw(|f| dash.render(f)).unwrap();
        insta::assert_snapshot!("dashboard_first", text_of(term.backend().buffer()));
        dash.handle_key(
            crossterm::event::KeyCode::Right,
            crossterm::event::KeyModifiers::NONE,
        );
        term.draw(|f| dash.render(f)).unwrap();
        insta::assert_snapshot!("dashboard_second", text_of(term.backend().buffer()));
    }
}
