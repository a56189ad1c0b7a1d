import BFSTestSupport
import BFSCoordination
import Testing

extension SessionEvent {
    var isRecovered: Bool {
        if case .recovered = self { return true }
        return false
    }
}

/// Session loss: expiry on both implementations (same suite and server as the behaviour tests).
extension CoordinationBehaviourTests {
    @Test(arguments: Backend.allCases)
    func expiredSessionRecreatesEphemeralsAndFiresPendingWatches(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let client = try await fixture.client()
            let observer = try await fixture.client()
            let sessions = Recorder<SessionEvent>()
            client.addSessionListener(sessions.record)
            try await sessions.wait { $0.contains(.connected) }

            try await client.ensurePath("/live")
            try await client.ensurePath("/pitchfork")
            _ = try await client.create("/live/store-1", data: Array("v1".utf8), mode: .ephemeral)
            try await client.set("/live/store-1", data: Array("v2".utf8))
            let pitchfork = try await client.create("/pitchfork/", mode: [.ephemeral, .sequential])
            _ = try await observer.create("/pitchfork/", mode: [.ephemeral, .sequential])
            let oldOwner = try #require(try await observer.exists("/live/store-1")).ephemeralOwner
            let pending = Recorder<WatchEvent>()
            _ = try await client.get("/pitchfork", watch: pending.record)

            await fixture.expire(client)
            let events = try await sessions.wait { $0.contains(where: \.isRecovered) }
            let expiredAt = try #require(events.firstIndex(of: .expired))
            let recoveredAt = try #require(events.firstIndex { $0.isRecovered })
            #expect(expiredAt < recoveredAt)
            let renamed = "/pitchfork/0000000002"
            #expect(events[recoveredAt] == .recovered(renamed: [pitchfork: renamed], failed: []))
            #expect(pending.all == [WatchEvent(kind: .sessionExpired, path: "/pitchfork")])

            let live = try await observer.get("/live/store-1")
            #expect(live.data == Array("v2".utf8))
            #expect(live.stat.ephemeralOwner != oldOwner)
            #expect(live.stat.ephemeralOwner != 0)
            #expect(try await observer.children("/pitchfork") == ["0000000001", "0000000002"])

            // The new session works, and the re-created node is tracked for the next expiry.
            try await client.delete(renamed)
            #expect(try await client.children("/pitchfork") == ["0000000001"])
        }
    }
}

extension CoordinationBehaviourTests {
    @Test(arguments: Backend.allCases)
    func secondExpiryRecreatesWhatTheFirstRecoveryMade(_ backend: Backend) async throws {
        try await CoordinationFixture.with(backend) { fixture in
            let client = try await fixture.client()
            let observer = try await fixture.client()
            let sessions = Recorder<SessionEvent>()
            client.addSessionListener(sessions.record)
            try await client.ensurePath("/pitchfork")
            let first = try await client.create("/pitchfork/", mode: [.ephemeral, .sequential])
            _ = try await client.create("/live", data: [1], mode: .ephemeral)

            await fixture.expire(client)
            try await sessions.wait { $0.filter(\.isRecovered).count == 1 }
            await fixture.expire(client)
            let events = try await sessions.wait { $0.filter(\.isRecovered).count == 2 }
            let recovered = events.filter(\.isRecovered)
            #expect(recovered == [.recovered(renamed: [first: "/pitchfork/0000000001"], failed: []),
                                  .recovered(renamed: ["/pitchfork/0000000001": "/pitchfork/0000000002"], failed: [])])
            #expect(events.filter { $0 == .expired }.count == 2)
            #expect(try await observer.children("/pitchfork") == ["0000000002"])
            #expect(try await observer.get("/live").data == [1])
        }
    }
}

/// A ZooKeeper server restart: the client reconnects within its session.
@Suite struct ZooKeeperRestartTests {
    @Test func clientReconnectsAfterServerRestartKeepingSessionAndWatches() async throws {
        let server = try await ZooKeeperServer.start()
        defer { server.stop() }
        try await CoordinationFixture.with(.zooKeeper, server: server) { fixture in
            let client = try await fixture.client()
            let sessions = Recorder<SessionEvent>()
            client.addSessionListener(sessions.record)
            try await sessions.wait { $0 == [.connected] }
            _ = try await client.create("/live-store", data: [7], mode: .ephemeral)
            let owner = try #require(try await client.exists("/live-store")).ephemeralOwner
            let watch = Recorder<WatchEvent>()
            _ = try await client.get("/live-store", watch: watch.record)

            server.stop()
            try await sessions.wait { $0.last == .disconnected }
            // Same port and data directory: the server restores the session, the client reattaches.
            try await server.launch()
            try await sessions.wait { $0.last == .connected && $0.count >= 3 }
            #expect(sessions.all == [.connected, .disconnected, .connected])
            let stat = try #require(try await client.exists("/live-store"))
            #expect(stat.ephemeralOwner == owner)

            // The C client re-armed the data watch on reconnect.
            try await client.set("/live-store", data: [8])
            try await watch.wait { $0.count == 1 }
            #expect(watch.all == [WatchEvent(kind: .dataChanged, path: "/live-store")])
        }
    }
}
