import BFSCore
import Foundation
import Testing
@testable import BFSPitchfork

@Suite struct PitchforkSettingsTests {
    /// The shipped sample must load, and every key it sets must equal the built-in default, so
    /// the comments in Conf/pitchfork.toml tell the truth.
    @Test func sampleConfigLoadsAndMatchesDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Conf/pitchfork.toml").standardized.path
        #expect(try PitchforkSettings.load(path: path) == PitchforkSettings())
    }

    @Test func typoIsRejectedWithItsName() {
        #expect(throws: ConfigError.unknownKey("pitchfork.store_check")) {
            try PitchforkSettings.read(ConfigDocument.parse("[pitchfork]\nstore_check = \"1s\"\n"))
        }
    }

    @Test func badValuesAreRejected() {
        #expect(throws: ConfigError.self) { try PitchforkSettings.read(ConfigDocument.parse("[pitchfork]\nlive_check = \"sometimes\"\n")) }
        #expect(throws: ConfigError.self) { try PitchforkSettings.read(ConfigDocument.parse("[pitchfork]\nstore_check_interval = \"0s\"\n")) }
        #expect(throws: ConfigError.self) { try PitchforkSettings.read(ConfigDocument.parse("[pitchfork]\ngood_checks_to_recover = 0\n")) }
    }

    @Test func shortIntervalsForTests() throws {
        let s = try PitchforkSettings.read(ConfigDocument.parse("""
            [pitchfork]
            store_check_interval = "200ms"
            live_check = "ignored"
            [coordination]
            session_timeout = "3s"
            """))
        #expect(s.storeCheckMilliseconds == 200)
        #expect(s.liveCheck == .ignored)
        #expect(s.sessionTimeout == .seconds(3))
    }
}
