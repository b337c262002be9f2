import FarmIQStorage

/// Reports the forwarder's state to `farmiq_sync_state` and to `sync_state` (the `*` row), on changes only.
struct SyncStateReporter {
    let metrics: SyncMetrics
    let store: any OutboxStore
    private var last: (state: String, detail: String?)?

    init(metrics: SyncMetrics, store: any OutboxStore) {
        self.metrics = metrics
        self.store = store
    }

    /// A failed write (database busy or down) is tried again at the next report.
    mutating func report(_ state: String, detail: String?) async {
        if let last, last.state == state, last.detail == detail { return }
        metrics.setState(state)
        do {
            try await store.setForwarderState(state, detail: detail)
            last = (state, detail)
        } catch {
            last = nil
        }
    }
}
