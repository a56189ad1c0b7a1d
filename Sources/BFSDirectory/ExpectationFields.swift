import BFSHTTP
import BFSMetadata

/// The optional condition a `/commit` or `/del` carries on the current row of its filename (our
/// extension; bfs callers send neither field and get bfs's behaviour):
///
/// | Field | Value | The write happens only when |
/// |---|---|---|
/// | `expect_key` | needle key (decimal int64) | the filename points at exactly this key |
/// | `expect_absent` | `1` | the filename has no file |
///
/// At most one of them. The database checks it in the write's own transaction; unmet, the
/// answer is ret 412 (`Ret.preconditionFailed`) and nothing changed (a commit's allocation
/// stays pending for the caller's `/abort`). A `/del` with `expect_absent=1` and no file is
/// 5001 as without it.
enum ExpectationFields {
    /// The expectation in `fields`: `.success(nil)` without one, `.failure` when malformed or both.
    static func parse(_ fields: FormFields) -> Result<FileExpectation?, ExpectationFieldError> {
        let key = fields.first("expect_key"), absent = fields.first("expect_absent")
        switch (key, absent) {
        case (nil, nil): return .success(nil)
        case (let key?, nil):
            guard let value = Int64(key) else { return .failure(ExpectationFieldError()) }
            return .success(.key(value))
        case (nil, "1"): return .success(.absent)
        default: return .failure(ExpectationFieldError())
        }
    }
}

/// A malformed `expect_key` / `expect_absent` (answered HTTP 400 `bad request`, as bfs answers
/// a malformed parameter).
struct ExpectationFieldError: Error {}
