import BFSHTTP
import Crypto

/// A PUT body as it arrives: the pieces kept as received (each copied once out of the read
/// buffer, never joined), their SHA-1 computed on the way, bounded by `max_file_size` and by the
/// process-wide `UploadBudget`.
///
/// The pieces are what every replica write sends (`MultipartWriter.addFile(chunks:)` shares
/// them), and they stay until the PUT is answered because a retry on another group needs them
/// again. The budget reservation is released by `release()`, exactly once.
final class UploadBody {
    /// The pieces in order.
    private(set) var chunks: [ArraySlice<UInt8>] = []
    /// Bytes received.
    private(set) var size = 0
    private var hasher = Insecure.SHA1()
    private let budget: UploadBudget
    private var reserved = 0

    /// A body that may reserve from `budget`.
    init(budget: UploadBudget) { self.budget = budget }

    /// Reserves `bytes` up front (a declared Content-Length); false when the budget is spent.
    func reserve(_ bytes: Int) -> Bool {
        guard budget.reserve(bytes) else { return false }
        reserved += bytes
        return true
    }

    /// Takes one piece (valid only during the call); throws `.bodyTooLarge` past `maxSize`,
    /// `.uploadBudgetExhausted` when the budget cannot hold it.
    func append(_ piece: UnsafeRawBufferPointer, maxSize: Int) throws(ProxyError) {
        guard size + piece.count <= maxSize else { throw .bodyTooLarge(limit: maxSize) }
        if size + piece.count > reserved {
            let more = size + piece.count - reserved
            guard budget.reserve(more) else { throw .uploadBudgetExhausted }
            reserved += more
        }
        let bytes = [UInt8](piece)
        hasher.update(data: bytes)
        chunks.append(bytes[...])
        size += piece.count
    }

    /// The lower-case hex SHA-1 of everything received.
    func sha1() -> String { ContentName.hex(hasher.finalize()) }

    /// Gives the reservation back and drops the pieces.
    func release() {
        budget.release(reserved)
        reserved = 0
        chunks = []
    }
}
