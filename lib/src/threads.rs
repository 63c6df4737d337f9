//! How many worker threads a tool uses when the user does not say (`-T N`).

/// The number of threads to use: `requested` when it is given and non-zero, otherwise the
/// number of cores this process may run on (which respects cgroup quotas and CPU affinity).
pub fn resolve(requested: Option<usize>) -> usize {
    match requested {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_and_none_mean_all_cores() {
        let cores = super::resolve(None);
        assert!(cores >= 1);
        assert_eq!(super::resolve(Some(0)), cores);
        assert_eq!(super::resolve(Some(3)), 3);
    }
}
