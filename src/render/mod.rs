//! Takes a computed report and gives its files: the workbook with native charts, and the
//! same charts as PNG and SVG images.

pub mod chart_image;
pub mod workbook;
