//! Marks drawn over a plotters chart as plain SVG, and where point labels go.
//!
//! plotters draws axes, grids and shading; the marks a reader points at (a chart's points and
//! bars) are written here instead, each in a `<g>` with a `<title>`, which every browser shows
//! as a tooltip on hover without a script. [`place_labels`] puts each point's label beside it,
//! clear of every other label and marker, and says when a leader line is needed because the
//! label had to move further out.

use std::fmt::Write as _;

use plotters::style::RGBColor;

/// A box in pixels: `x0 <= x1`, `y0 <= y1` (y grows downwards, as in SVG).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Left.
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
}

impl Bounds {
    /// The box of `size` centred on `(x, y)`.
    pub fn around((x, y): (f64, f64), (w, h): (f64, f64)) -> Bounds {
        Bounds {
            x0: x - w / 2.0,
            y0: y - h / 2.0,
            x1: x + w / 2.0,
            y1: y + h / 2.0,
        }
    }

    /// Whether the two boxes share any area.
    #[cfg(test)]
    pub fn overlaps(&self, other: &Bounds) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// The area the two boxes share.
    fn overlap_area(&self, other: &Bounds) -> f64 {
        let w = self.x1.min(other.x1) - self.x0.max(other.x0);
        let h = self.y1.min(other.y1) - self.y0.max(other.y0);
        w.max(0.0) * h.max(0.0)
    }

    /// Whether `other` lies wholly inside this box.
    pub fn contains(&self, other: &Bounds) -> bool {
        other.x0 >= self.x0 && other.x1 <= self.x1 && other.y0 >= self.y0 && other.y1 <= self.y1
    }

    /// The point of this box nearest to `(x, y)`.
    fn nearest(&self, (x, y): (f64, f64)) -> (f64, f64) {
        (x.clamp(self.x0, self.x1), y.clamp(self.y0, self.y1))
    }
}

/// The width and height of `text` in the overlay's sans-serif font at `size` pixels: an upper
/// estimate (0.62 em a character, digits and capitals included), so boxes that do not overlap
/// here do not overlap on screen.
pub fn text_size(text: &str, size: f64) -> (f64, f64) {
    (0.62 * size * text.chars().count() as f64 + 2.0, size + 2.0)
}

/// Where one label went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// The label's box.
    pub bounds: Bounds,
    /// Whether it sits away from its point, so a line must join them.
    pub leader: bool,
    /// Whether no free place was found and it overlaps another label or marker.
    pub crowded: bool,
}

/// Gaps, in pixels, between a point and its label: the first ring is beside the point, the
/// others further out (with a leader line).
const RINGS: [f64; 5] = [5.0, 16.0, 30.0, 46.0, 64.0];

/// Places a label of `sizes[i]` for each point `points[i]` (whose marker reaches `radii[i]`
/// pixels from it), in order: beside the marker (right, left, above, below, then the
/// diagonals), else on rings further out with a leader line, each box inside `area` and clear
/// of the labels placed before it and of every `obstacle` (the markers). A label that finds no
/// free place takes the place overlapping least and is marked crowded.
pub fn place_labels(
    points: &[(f64, f64)],
    radii: &[f64],
    sizes: &[(f64, f64)],
    obstacles: &[Bounds],
    area: Bounds,
) -> Vec<Placement> {
    let mut placed: Vec<Placement> = Vec::with_capacity(points.len());
    for ((&(x, y), &radius), &(w, h)) in points.iter().zip(radii).zip(sizes) {
        let candidates = RINGS.iter().enumerate().flat_map(|(ring, &gap)| {
            let gap = gap + radius;
            // Centres of the box in eight directions, the box's near edge `gap` from the point.
            let (dx, dy) = (gap + w / 2.0, gap + h / 2.0);
            let diagonal = gap / std::f64::consts::SQRT_2;
            let (ddx, ddy) = (diagonal + w / 2.0, diagonal + h / 2.0);
            let beside = [
                (x + dx, y),
                (x - dx, y),
                (x, y - dy),
                (x, y + dy),
                (x + ddx, y - ddy),
                (x - ddx, y - ddy),
                (x + ddx, y + ddy),
                (x - ddx, y + ddy),
            ];
            // Further out, eight more directions between those, so rings hold more labels.
            let between = (0..8).map(move |k| {
                let angle = std::f64::consts::PI * (2 * k + 1) as f64 / 8.0;
                (x + libm::cos(angle) * dx, y - libm::sin(angle) * dy)
            });
            beside
                .into_iter()
                .chain(between.filter(move |_| ring > 0))
                .map(move |centre| (ring, Bounds::around(centre, (w, h))))
        });
        let cost = |b: &Bounds| -> f64 {
            let labels: f64 = placed.iter().map(|p| p.bounds.overlap_area(b)).sum();
            let marks: f64 = obstacles.iter().map(|o| o.overlap_area(b)).sum();
            let outside = if area.contains(b) { 0.0 } else { 1e9 };
            labels + marks + outside
        };
        let mut best: Option<(f64, usize, Bounds)> = None;
        for (ring, b) in candidates {
            let c = cost(&b);
            if c == 0.0 {
                best = Some((0.0, ring, b));
                break;
            }
            if best.is_none_or(|(bc, _, _)| c < bc) {
                best = Some((c, ring, b));
            }
        }
        let (c, ring, bounds) = best.expect("RINGS is not empty");
        placed.push(Placement {
            bounds,
            leader: ring > 0,
            crowded: c > 0.0,
        });
    }
    placed
}

/// A marker's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A filled circle of the given radius.
    Circle,
    /// A filled triangle, point up, of the given half-width.
    Triangle,
}

/// SVG elements to add over a chart.
#[derive(Debug, Default)]
pub struct Overlay {
    svg: String,
}

fn colour(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Text for SVG: the five characters XML reserves escaped, and line breaks as character
/// references (a tooltip keeps them; each element stays on one line of the file).
pub fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
        .replace('\n', "&#10;")
}

impl Overlay {
    /// An empty overlay.
    pub fn new() -> Overlay {
        Overlay::default()
    }

    /// A marker at `(x, y)` (pixels) with `title` shown on hover.
    pub fn marker(
        &mut self,
        shape: Shape,
        (x, y): (f64, f64),
        size: f64,
        fill: RGBColor,
        title: &str,
    ) {
        let title = xml_text(title);
        let fill = colour(fill);
        let _ = match shape {
            Shape::Circle => writeln!(
                self.svg,
                r##"<g class="point"><title>{title}</title><circle cx="{x:.1}" cy="{y:.1}" r="{size:.1}" fill="{fill}" stroke="#FFFFFF" stroke-width="1"/></g>"##
            ),
            Shape::Triangle => writeln!(
                self.svg,
                r##"<g class="point"><title>{title}</title><polygon points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{fill}" stroke="#FFFFFF" stroke-width="1"/></g>"##,
                x,
                y - size,
                x - size,
                y + 0.75 * size,
                x + size,
                y + 0.75 * size
            ),
        };
    }

    /// A filled bar between two corners (pixels) with `title` shown on hover.
    pub fn bar(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), fill: RGBColor, title: &str) {
        let _ = writeln!(
            self.svg,
            r##"<g class="bar"><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"/></g>"##,
            xml_text(title),
            x0.min(x1),
            y0.min(y1),
            (x1 - x0).abs().max(1.0),
            (y1 - y0).abs(),
            colour(fill)
        );
    }

    /// A label whose box is `bounds`, text left-aligned in it; with `title` on hover.
    pub fn label(&mut self, bounds: &Bounds, text: &str, size: f64, title: &str) {
        let _ = writeln!(
            self.svg,
            r##"<g class="label"><title>{}</title><text x="{:.1}" y="{:.1}" font-family="sans-serif" font-size="{size}" fill="#000000">{}</text></g>"##,
            xml_text(title),
            bounds.x0 + 1.0,
            bounds.y1 - 0.28 * size - 1.0,
            xml_text(text)
        );
    }

    /// Text at `(x, y)` (its baseline's start), with an optional anchor (`start`, `middle`,
    /// `end`) and weight.
    pub fn text(
        &mut self,
        (x, y): (f64, f64),
        text: &str,
        size: f64,
        anchor: &str,
        fill: RGBColor,
    ) {
        let _ = writeln!(
            self.svg,
            r##"<text x="{x:.1}" y="{y:.1}" font-family="sans-serif" font-size="{size}" text-anchor="{anchor}" fill="{}">{}</text>"##,
            colour(fill),
            xml_text(text)
        );
    }

    /// A straight line; `dash` draws it dashed.
    pub fn line(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        stroke: RGBColor,
        width: f64,
        dash: bool,
    ) {
        let _ = writeln!(
            self.svg,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="{width}"{}/>"##,
            from.0,
            from.1,
            to.0,
            to.1,
            colour(stroke),
            if dash {
                r#" stroke-dasharray="5,4""#
            } else {
                ""
            }
        );
    }

    /// A leader line from a point to the nearest edge of its label's box.
    pub fn leader(&mut self, point: (f64, f64), label: &Bounds) {
        let end = label.nearest(point);
        self.line(point, end, RGBColor(110, 110, 110), 0.8, false);
    }

    /// Adds the overlay to a plotters SVG document, after everything plotters drew.
    pub fn into_svg(self, svg: &mut String) {
        if let Some(end) = svg.rfind("</svg>") {
            svg.insert_str(end, &self.svg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area() -> Bounds {
        Bounds {
            x0: 0.0,
            y0: 0.0,
            x1: 400.0,
            y1: 300.0,
        }
    }

    #[test]
    fn a_lone_point_is_labelled_beside_it() {
        let marker = Bounds::around((100.0, 100.0), (8.0, 8.0));
        let p = place_labels(
            &[(100.0, 100.0)],
            &[4.0],
            &[(20.0, 12.0)],
            &[marker],
            area(),
        );
        assert_eq!(p.len(), 1);
        assert!(!p[0].leader && !p[0].crowded);
        assert_eq!(p[0].bounds.x0, 109.0, "right of the marker, 5 px out");
        assert_eq!((p[0].bounds.y0 + p[0].bounds.y1) / 2.0, 100.0);
    }

    #[test]
    fn labels_at_the_edge_go_inside_the_area() {
        let p = place_labels(&[(398.0, 299.0)], &[0.0], &[(20.0, 12.0)], &[], area());
        assert!(area().contains(&p[0].bounds), "{:?}", p[0]);
    }

    #[test]
    fn thirty_points_on_one_spot_get_thirty_separate_labels() {
        let points = vec![(200.0, 150.0); 30];
        let sizes = vec![(14.0, 12.0); 30];
        let marker = Bounds::around((200.0, 150.0), (10.0, 10.0));
        let p = place_labels(&points, &[5.0; 30], &sizes, &[marker], area());
        for (i, a) in p.iter().enumerate() {
            assert!(!a.crowded, "{i}");
            assert!(!a.bounds.overlaps(&marker));
            for b in &p[..i] {
                assert!(!a.bounds.overlaps(&b.bounds), "{i}: {a:?} {b:?}");
            }
        }
        assert!(
            p.iter().skip(8).all(|a| a.leader),
            "past the first ring, leader lines"
        );
    }

    #[test]
    fn with_no_room_a_label_is_marked_crowded() {
        let tiny = Bounds {
            x0: 0.0,
            y0: 0.0,
            x1: 30.0,
            y1: 30.0,
        };
        let p = place_labels(&[(15.0, 15.0); 3], &[0.0; 3], &[(20.0, 12.0); 3], &[], tiny);
        assert!(p.iter().any(|a| a.crowded));
    }

    #[test]
    fn titles_and_text_are_escaped() {
        let mut o = Overlay::new();
        o.marker(
            Shape::Circle,
            (1.0, 2.0),
            3.0,
            RGBColor(0, 0, 0),
            "A & B <c>",
        );
        let mut svg = String::from("<svg></svg>");
        o.into_svg(&mut svg);
        assert!(svg.contains("<title>A &amp; B &lt;c&gt;</title>"), "{svg}");
        assert!(svg.ends_with("</svg>"));
    }
}
