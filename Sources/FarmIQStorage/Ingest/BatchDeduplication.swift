import FarmIQCore

/// Splits a batch into first occurrences and in-batch repeats.
enum BatchDeduplication {
    /// Returns the indices of the first occurrence of each key, in batch order, and the number of repeats.
    static func firstOccurrences<T>(_ items: [T], key: (T) -> MessageKey) -> (unique: [Int], repeats: Int) {
        var seen = Set<MessageKey>(minimumCapacity: items.count)
        var unique: [Int] = []
        unique.reserveCapacity(items.count)
        for (index, item) in items.enumerated() where seen.insert(key(item)).inserted {
            unique.append(index)
        }
        return (unique, items.count - unique.count)
    }
}
