import Synchronization
import Testing
@testable import BFSCoordination

/// The guard against completions the ZooKeeper C client drops at close: every call is answered
/// exactly once, by the server or by `failAll()`.
@Suite struct OutstandingCallsTests {
    @Test func answeredCallsLeaveAndTheRestFailClosedOnce() {
        let calls = OutstandingCalls(executor: { $0() })
        let answers = Mutex<[Int: [Result<Int, CoordinationError>]]>([:])
        let tracked = (0..<4).map { index in
            calls.track { (result: Result<Int, CoordinationError>) in answers.withLock { $0[index, default: []].append(result) } }
        }
        tracked[0](.success(10))
        tracked[1](.failure(.noNode(path: "/x")))
        #expect(calls.count == 2)
        calls.failAll()
        #expect(calls.count == 0)
        // A late answer from the C client after the close changes nothing.
        tracked[2](.success(12))
        tracked[0](.success(99))
        answers.withLock { answers in
            #expect(answers[0]?.count == 1 && (try? answers[0]?.first?.get()) == 10)
            #expect(answers[1]?.count == 1)
            #expect(answers[2]?.count == 1 && answers[2]?.first.map { if case .failure(.closed) = $0 { true } else { false } } == true)
            #expect(answers[3]?.count == 1 && answers[3]?.first.map { if case .failure(.closed) = $0 { true } else { false } } == true)
        }
    }
}
