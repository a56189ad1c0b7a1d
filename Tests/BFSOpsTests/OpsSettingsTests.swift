import BFSCore
import BFSOps
import Foundation
import Testing

/// `Conf/ops.toml` parses to the defaults; unknown keys and bad values name the key.
@Suite struct OpsSettingsTests {
    static var confPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Conf/ops.toml").path
    }

    @Test func sampleConfigIsTheDefaults() throws {
        #expect(try OpsSettings.load(path: Self.confPath) == OpsSettings())
    }

    @Test func unknownKeysAndBadValuesNameTheKey() {
        let cases = [
            ("[ops]\nadmin_pasword_hash = \"x\"", "ops.admin_pasword_hash"),
            ("[ops]\nadmin_password_hash = \"plain-text\"", "ops.admin_password_hash"),
            ("[ops]\nlogin_lifetime = \"0s\"", "ops.login_lifetime"),
            ("[ops]\ncluster_token = \"a b\"", "ops.cluster_token"),
            ("[http]\nworkers = 0", "http.workers"),
        ]
        for (text, key) in cases {
            do {
                _ = try OpsSettings.read(ConfigDocument.parse(text))
                Issue.record("accepted \(text)")
            } catch {
                #expect("\(error)".contains(key), "\(text): \(error)")
            }
        }
    }

    @Test func openConsoleOnlyOnLoopback() throws {
        var s = OpsSettings()
        #expect(s.securityProblem == nil)
        s.listen = HostPort(host: "0.0.0.0", port: 6080)
        #expect(s.securityProblem != nil)
        s.adminPasswordHash = try PasswordHash(password: "x", rounds: PasswordHash.minimumRounds).encoded
        #expect(s.securityProblem == nil)
    }
}
