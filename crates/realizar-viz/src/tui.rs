//! The ratatui views: the histogram widget and the interactive dashboard
//! behind `realizar viz --tui`.

use crate::data::BenchmarkData;
use crate::error::{Error, Result};
use crate::histogram::{Histogram, tail_class};
use crate::report::render_report;
use crate::sparkline::bucket_means;
use crate::units::{TimeUnit, format_in};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, Paragraph, Sparkline, Widget, Wrap};
use std::io::IsTerminal;

/// Bars below p95, from p95, from p99.
const TAIL: [Color; 3] = [Color::Blue, Color::Yellow, Color::Red];

/// Draws the histogram of `data` into `area` of `buf`: a bordered ratatui
/// bar chart of about `bins` bars of equal width filling the area (one
/// column each at least, so more bins than asked when it is wide), coloured
/// blue below p95, yellow from p95 and red from p99, over a line giving the
/// range and the median.
///
/// Works on any buffer: a live terminal's (`frame.buffer_mut()`) or a test
/// backend's.
///
/// ```
/// use ratatui::{buffer::Buffer, layout::Rect};
/// use realizar_viz::{BenchmarkData, render_histogram_terminal};
/// let d = BenchmarkData::new("t", (1..=100).map(f64::from).collect())?;
/// let area = Rect::new(0, 0, 40, 12);
/// let mut buf = Buffer::empty(area);
/// render_histogram_terminal(&d, 10, area, &mut buf);
/// assert_eq!(buf[(0, 0)].symbol(), "┌");
/// # Ok::<(), realizar_viz::Error>(())
/// ```
pub fn render_histogram_terminal(data: &BenchmarkData, bins: usize, area: Rect, buf: &mut Buffer) {
    let s = data.stats();
    let unit = TimeUnit::for_us(s.p50);
    let block = Block::bordered().title(format!(" histogram: {} samples ", s.n));
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.width == 0 || inner.height < 2 {
        return;
    }
    // Bars of equal width filling the area: about `bins` of them.
    let bar_width = (inner.width / bins.max(1) as u16).max(1);
    let h = Histogram::new(data.latencies_us(), (inner.width / bar_width) as usize);
    let [chart, legend] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let bars: Vec<Bar> = h
        .counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let tail = tail_class(&h, i, s);
            Bar::new(c as u64)
                .text_value(String::new())
                .style(Style::new().fg(TAIL[tail as usize]))
        })
        .collect();
    BarChart::vertical(bars)
        .bar_width(bar_width)
        .bar_gap(0)
        .render(chart, buf);
    Paragraph::new(format!(
        "{} .. {}   p50 {}",
        format_in(h.lo, unit),
        format_in(h.hi, unit),
        format_in(s.p50, unit)
    ))
    .render(legend, buf);
}

/// The state of the dashboard: the benchmarks and which one is shown.
#[derive(Debug)]
pub struct Dashboard<'a> {
    benchmarks: &'a [BenchmarkData],
    selected: usize,
    bins: usize,
}

impl<'a> Dashboard<'a> {
    /// A dashboard over `benchmarks`, showing the first.
    ///
    /// # Errors
    /// [`Error::NoBenchmarks`] for an empty slice.
    pub fn new(benchmarks: &'a [BenchmarkData]) -> Result<Self> {
        if benchmarks.is_empty() {
            return Err(Error::NoBenchmarks);
        }
        Ok(Self {
            benchmarks,
            selected: 0,
            bins: 30,
        })
    }

    /// Index of the benchmark shown.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Applies a key: arrows (and `h`/`l`, `j`/`k`, Tab) switch benchmark,
    /// Home/End jump, `q`, Esc and Ctrl-C quit. Returns true to quit.
    pub fn handle_key(&mut self, code: KeyCode, modifiers: KeyModifiers) -> bool {
        let n = self.benchmarks.len();
        match code {
            KeyCode::Char('q') | KeyCode::Esc => return true,
            KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => return true,
            KeyCode::Right | KeyCode::Down | KeyCode::Tab | KeyCode::Char('l' | 'j') => {
                self.selected = (self.selected + 1) % n;
            }
            KeyCode::Left | KeyCode::Up | KeyCode::BackTab | KeyCode::Char('h' | 'k') => {
                self.selected = (self.selected + n - 1) % n;
            }
            KeyCode::Home => self.selected = 0,
            KeyCode::End => self.selected = n - 1,
            _ => {}
        }
        false
    }

    /// Draws the dashboard: the benchmark's name and position, its
    /// histogram beside its full report, the samples in measurement order
    /// as a sparkline, and a line of key help.
    pub fn render(&self, frame: &mut Frame) {
        let area = frame.area();
        self.render_to(area, frame.buffer_mut());
    }

    fn render_to(&self, area: Rect, buf: &mut Buffer) {
        let data = &self.benchmarks[self.selected];
        let [title, middle, trend, help] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(6),
            Constraint::Length(5),
            Constraint::Length(1),
        ])
        .areas(area);
        Paragraph::new(Line::from(vec![
            Span::styled(" realizar viz ", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                " ◀ {}/{} ▶  ",
                self.selected + 1,
                self.benchmarks.len()
            )),
            Span::styled(data.name(), Style::new().fg(Color::Cyan)),
        ]))
        .render(title, buf);

        let report_width = 50.min(middle.width / 2);
        let [hist, report] =
            Layout::horizontal([Constraint::Min(10), Constraint::Length(report_width)])
                .areas(middle);
        render_histogram_terminal(data, self.bins, hist, buf);
        let text = render_report(data);
        Paragraph::new(text.lines().skip(1).map(Line::from).collect::<Vec<_>>())
            .block(Block::bordered().title(" report "))
            .wrap(Wrap { trim: false })
            .render(report, buf);

        let block = Block::bordered().title(" samples in measurement order ");
        let inner = block.inner(trend);
        let points = bucket_means(data.latencies_us(), inner.width as usize);
        let lo = points.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = points.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        // Heights relative to the fastest point, so small drifts show.
        let scaled: Vec<u64> = points
            .iter()
            .map(|v| 1 + ((v - lo) / span * 99.0).round() as u64)
            .collect();
        Sparkline::default()
            .block(block)
            .data(&scaled)
            .max(100)
            .style(Style::new().fg(Color::Green))
            .render(trend, buf);

        Paragraph::new(" ←/→ or ↑/↓ switch benchmark · Home/End first/last · q quits")
            .style(Style::new().add_modifier(Modifier::DIM))
            .render(help, buf);
    }
}

/// Opens the dashboard on the terminal and runs it until the user quits.
///
/// # Errors
/// [`Error::NoBenchmarks`] for an empty slice, [`Error::NotATerminal`] when
/// standard output is not a terminal (checked before the screen is
/// touched), [`Error::Terminal`] when the terminal fails.
pub fn run_dashboard(benchmarks: &[BenchmarkData]) -> Result<()> {
    let mut dash = Dashboard::new(benchmarks)?;
    if !std::io::stdout().is_terminal() {
        return Err(Error::NotATerminal);
    }
    let mut terminal = ratatui::try_init().map_err(Error::Terminal)?;
    // Restores the screen however the loop ends.
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            ratatui::restore();
        }
    }
    let _restore = Restore;
    loop {
        terminal.draw(|f| dash.render(f)).map_err(Error::Terminal)?;
        if let Event::Key(k) = event::read().map_err(Error::Terminal)?
            && k.kind != KeyEventKind::Release
            && dash.handle_key(k.code, k.modifiers)
        {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_switch_and_quit() {
        let data = crate::demo::demo_benchmarks(20, 1).unwrap();
        let mut d = Dashboard::new(&data).unwrap();
        let none = KeyModifiers::NONE;
        assert!(!d.handle_key(KeyCode::Right, none));
        assert_eq!(d.selected(), 1);
        assert!(!d.handle_key(KeyCode::Left, none));
        assert!(!d.handle_key(KeyCode::Left, none));
        assert_eq!(d.selected(), 3);
        assert!(!d.handle_key(KeyCode::Home, none));
        assert_eq!(d.selected(), 0);
        assert!(d.handle_key(KeyCode::Char('q'), none));
        assert!(d.handle_key(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(Dashboard::new(&[]).is_err());
    }
}
