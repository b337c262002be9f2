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

    mutating func report(_ state: String, detail: String?) async {
        if let last, last.state == state, last.detail == detail { return }
        last = (state, detail)
        metrics.setState(state)
        try? await store.setForwarderState(state, detail: detail)
    }
}
