@testable import BFSCluster
import BFSCoordination
import BFSTestSupport
import Testing

@Suite struct WatchedCacheTests {
    @Test func aReadIsCachedUntilItsWatchFires() {
        let fired = Locked<[WatchEvent]>([])
        let cache = WatchedCache { event in fired.with { $0.append(event) } }
        let (token, handler) = cache.arm(.data, "/a")
        cache.store(.data, "/a", token: token, .data([1]))
        #expect(cache.value(.data, "/a") == .data([1]))
        #expect(cache.value(.children, "/a") == nil)
        handler(WatchEvent(kind: .dataChanged, path: "/a"))
        #expect(cache.value(.data, "/a") == nil)
        #expect(fired.get == [WatchEvent(kind: .dataChanged, path: "/a")])
    }

    @Test func aWatchFiringBeforeItsReadIsStoredLeavesNothingStale() {
        let cache = WatchedCache { _ in }
        let (token, handler) = cache.arm(.children, "/a")
        handler(WatchEvent(kind: .childrenChanged, path: "/a"))
        cache.store(.children, "/a", token: token, .children(["old"]))
        #expect(cache.value(.children, "/a") == nil)
    }

    @Test func anOldWatchDoesNotDropANewerRead() {
        let cache = WatchedCache { _ in }
        let (_, stale) = cache.arm(.data, "/a")
        cache.removeAll()
        let (token, _) = cache.arm(.data, "/a")
        cache.store(.data, "/a", token: token, .data([2]))
        stale(WatchEvent(kind: .sessionExpired, path: "/a"))
        #expect(cache.value(.data, "/a") == .data([2]))
    }
}
