/// A set of packet identifiers (1...65535) as a fixed 8 KiB bitmap: O(1) insert/remove/contains
/// without hashing, for the per-message hot paths.
struct MQTTPacketIDSet: Sendable {
    private var words: [UInt64]
    private(set) var count: Int = 0

    init() {
        self.words = [UInt64](repeating: 0, count: 1024)
    }

    func contains(_ id: UInt16) -> Bool {
        self.words[Int(id >> 6)] & (1 << UInt64(id & 63)) != 0
    }

    /// Inserts `id`; returns false if it was already present.
    @discardableResult
    mutating func insert(_ id: UInt16) -> Bool {
        let index = Int(id >> 6)
        let bit: UInt64 = 1 << UInt64(id & 63)
        guard self.words[index] & bit == 0 else { return false }
        self.words[index] |= bit
        self.count += 1
        return true
    }

    /// Removes `id`; returns false if it was not present.
    @discardableResult
    mutating func remove(_ id: UInt16) -> Bool {
        let index = Int(id >> 6)
        let bit: UInt64 = 1 << UInt64(id & 63)
        guard self.words[index] & bit != 0 else { return false }
        self.words[index] &= ~bit
        self.count -= 1
        return true
    }

    mutating func removeAll() {
        guard self.count > 0 else { return }
        for index in self.words.indices { self.words[index] = 0 }
        self.count = 0
    }
}

/// Allocates packet identifiers for outgoing packets: 1...65535 in turn, wrapping, skipping ids
/// still in use.
struct MQTTPacketIDAllocator: Sendable {
    private var next: UInt16 = 1
    private(set) var inUse = MQTTPacketIDSet()

    init(startingAt first: UInt16 = 1) {
        self.next = first == 0 ? 1 : first
    }

    /// The next free id, or nil when all 65,535 are in use.
    mutating func allocate() -> UInt16? {
        guard self.inUse.count < 65_535 else { return nil }
        while true {
            let candidate = self.next
            self.next = candidate == .max ? 1 : candidate + 1
            if self.inUse.insert(candidate) { return candidate }
        }
    }

    /// Marks `id` in use (e.g. when an in-flight message keeps its id across a reconnect).
    mutating func reserve(_ id: UInt16) -> Bool { self.inUse.insert(id) }

    mutating func release(_ id: UInt16) { self.inUse.remove(id) }
}
