import Testing
@testable import BFSCore

@Suite struct ConfigTests {
    @Test func typedValuesAndDefaults() throws {
        let root = try ConfigDocument.parse("""
            [api]
            listen = "127.0.0.1:6062"
            timeout = "250ms"
            max_body = "10MiB"
            workers = 2
            durable = false
            peers = ["a:1", "b:2"]
            """)
        let api = try root.section("api")
        #expect(try api.address("listen", default: HostPort(host: "x", port: 1)) == HostPort(host: "127.0.0.1", port: 6062))
        #expect(try api.duration("timeout", default: .seconds(1)) == .milliseconds(250))
        #expect(try api.byteSize("max_body", default: 0) == 10 << 20)
        #expect(try api.int("workers", default: 0, in: 0...64) == 2)
        #expect(try api.bool("durable", default: true) == false)
        #expect(try api.strings("peers", default: []) == ["a:1", "b:2"])
        #expect(try api.int("absent", default: 7) == 7)
        #expect(try root.section("missing").string("x", default: "d") == "d")
        try ConfigDocument.finish(root)
    }

    @Test func unknownKeysAreRejectedByDottedName() throws {
        let root = try ConfigDocument.parse("""
            top = 1
            [api]
            listen = ":1"
            listne = ":2"
            """)
        _ = try root.int("top", default: 0)
        _ = try root.section("api").address("listen", default: HostPort(host: "", port: 0))
        #expect(throws: ConfigError.unknownKey("api.listne")) { try ConfigDocument.finish(root) }
    }

    @Test func unknownSectionIsRejected() throws {
        let root = try ConfigDocument.parse("[apii]\nlisten = \":1\"\n")
        _ = try root.section("api")
        #expect(throws: ConfigError.unknownKey("apii")) { try ConfigDocument.finish(root) }
    }

    @Test func badValuesNameTheirKey() throws {
        let root = try ConfigDocument.parse("""
            [s]
            workers = 1000
            timeout = "ten seconds"
            size = "12 parsecs"
            listen = "nohost"
            flag = "yes"
            """)
        let s = try root.section("s")
        #expect(throws: ConfigError.badValue(key: "s.workers", reason: "1000 is outside 0...64")) {
            try s.int("workers", default: 1, in: 0...64)
        }
        #expect(throws: (any Error).self) { try s.duration("timeout", default: .zero) }
        #expect(throws: (any Error).self) { try s.byteSize("size", default: 0) }
        #expect(throws: (any Error).self) { try s.address("listen", default: HostPort(host: "", port: 0)) }
        #expect(throws: ConfigError.wrongType(key: "s.flag", expected: "true or false")) { try s.bool("flag", default: false) }
    }

    @Test func syntaxErrorsCarryThePosition() {
        do {
            _ = try ConfigDocument.parse("a = 1\nb = = 2\n")
            Issue.record("malformed TOML was accepted")
        } catch let ConfigError.syntax(line, _, _) {
            #expect(line == 2)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func units() {
        #expect(ConfigUnits.parseDuration("0") == .zero)
        #expect(ConfigUnits.parseDuration("10s") == .seconds(10))
        #expect(ConfigUnits.parseDuration("5m") == .seconds(300))
        #expect(ConfigUnits.parseDuration("1h") == .seconds(3600))
        #expect(ConfigUnits.parseDuration("-1s") == nil)
        #expect(ConfigUnits.parseDuration("s") == nil)
        #expect(ConfigUnits.parseByteSize("4096") == 4096)
        #expect(ConfigUnits.parseByteSize("32GiB") == 32 << 30)
        #expect(ConfigUnits.parseByteSize("10 MB") == 10 << 20)
        #expect(ConfigUnits.parseByteSize("MiB") == nil)
        #expect(Duration.milliseconds(1500).wholeMilliseconds == 1500)
    }

    @Test func hostPort() {
        #expect(HostPort("[::1]:80") == HostPort(host: "::1", port: 80))
        #expect(HostPort(":6062") == HostPort(host: "0.0.0.0", port: 6062))
        #expect(HostPort("a:70000") == nil)
        #expect(HostPort(host: "::1", port: 80).description == "[::1]:80")
    }
}
