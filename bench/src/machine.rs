//! Facts about the machine printed above the table. Ratios measured in one run carry
//! over between machines; absolute rates do not, so the table says where it ran.

/// Hardware threads the program may use (`std::thread::available_parallelism`).
pub fn parallelism() -> String {
    std::thread::available_parallelism()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// The CPU's `model name` from /proc/cpuinfo, when readable.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown (no /proc/cpuinfo)".to_owned())
}

/// The 1/5/15-minute load averages from /proc/loadavg, when readable: a busy machine
/// explains a wide min–max spread.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
