import PostgresNIO

/// The rows of a query, read in full (see ``PostgresBackend/query(_:_:)``): an async sequence of
/// `PostgresRow`, so PostgresNIO's `decode(_:)` applies as to its own row sequence.
package struct PostgresRows: AsyncSequence, Sendable {
    /// One row, decoded with PostgresNIO's `decode(_:)`.
    package typealias Element = PostgresRow

    let rows: [PostgresRow]

    /// Iterates the collected rows; never throws (errors were thrown by the query).
    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        /// The next row; `nil` after the last.
        package mutating func next() async throws -> PostgresRow? { base.next() }
    }

    /// An iterator from the first row (the rows can be iterated more than once).
    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }
}

extension PostgresRows {
    /// The first column of the first row as an integer (a `count(*)`, a sequence value); 0 without rows.
    package func integer(_ operation: String) throws -> Int {
        guard let row = rows.first else { return 0 }
        do {
            return Int(try row.decode(Int64.self))
        } catch {
            throw PostgresErrors.map(error, operation)
        }
    }
}
