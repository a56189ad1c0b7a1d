/// Ordered name/value pairs from a query string, a urlencoded body or multipart form fields.
///
/// One type for all three sources because bfs handlers read a parameter from the query *or* the
/// body (Go's `FormValue`); order and repeats are kept since `/uploads` sends one `keys` and one
/// `cookies` value per file, matched to the files by position.
public struct FormFields: Equatable, Sendable, ExpressibleByDictionaryLiteral {
    /// One decoded `name=value` pair.
    public struct Pair: Equatable, Sendable {
        /// The decoded name.
        public var name: String
        /// The decoded value (empty for a bare `name`).
        public var value: String

        /// A pair from a decoded name and value.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The pairs in input order.
    public private(set) var pairs: [Pair]

    /// An empty set of fields.
    public init() { pairs = [] }

    /// Fields from pairs, kept in the given order.
    public init(_ pairs: [Pair]) { self.pairs = pairs }

    /// Fields from a literal; repeated names keep their literal order.
    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { Pair(name: $0.0, value: $0.1) }
    }

    /// The number of pairs, repeats included.
    public var count: Int { pairs.count }

    /// Whether there are no pairs.
    public var isEmpty: Bool { pairs.isEmpty }

    /// The value of the first pair named `name`, or nil.
    public func first(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// Every value named `name`, in input order (empty if none).
    public func all(_ name: String) -> [String] {
        pairs.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Whether some pair is named `name`.
    public func contains(_ name: String) -> Bool {
        pairs.contains { $0.name == name }
    }

    /// Makes room for `count` pairs in all.
    mutating func reserveCapacity(_ count: Int) {
        pairs.reserveCapacity(count)
    }

    /// Adds a pair at the end.
    public mutating func append(name: String, value: String) {
        pairs.append(Pair(name: name, value: value))
    }

    /// These pairs followed by `other`'s, so `first` prefers the receiver's values.
    ///
    /// Go's `FormValue` lets body values win over the query, so bfs compatibility is
    /// `body.merging(query)`.
    public func merging(_ other: FormFields) -> FormFields {
        FormFields(pairs + other.pairs)
    }
}
