import BFSCore
import BFSOps
import Foundation
import Testing

/// The admin password hash and login sessions.
@Suite struct OpsAuthTests {
    @Test func passwordHashRoundTripsAndRejectsOthers() throws {
        let hash = try PasswordHash(password: "s3cret", rounds: PasswordHash.minimumRounds)
        let parsed = try #require(PasswordHash(encoded: hash.encoded))
        #expect(parsed == hash)
        #expect(parsed.matches("s3cret"))
        #expect(!parsed.matches("s3cret "))
        #expect(!parsed.matches(""))
        #expect(hash.encoded.hasPrefix("pbkdf2-sha256$10000$"))
        // A fresh salt each time: the same password never gives the same text.
        #expect(try PasswordHash(password: "s3cret", rounds: PasswordHash.minimumRounds).encoded != hash.encoded)
    }

    /// The PBKDF2-HMAC-SHA256 vector of RFC 7914 §11 (P="Password", S="NaCl", c=80000; the first
    /// 32 of its 64 bytes, since PBKDF2 output blocks are independent).
    @Test func derivationMatchesTheRFCVector() throws {
        let key: [UInt8] = [0x4d, 0xdc, 0xd8, 0xf6, 0x0b, 0x98, 0xbe, 0x21, 0x83, 0x0c, 0xee, 0x5e, 0xf2, 0x27, 0x01, 0xf9,
                            0x64, 0x1a, 0x44, 0x18, 0xd0, 0x4c, 0x04, 0x14, 0xae, 0xff, 0x08, 0x87, 0x6b, 0x34, 0xab, 0x56]
        let text = "pbkdf2-sha256$80000$\(Data("NaCl".utf8).base64EncodedString())$\(Data(key).base64EncodedString())"
        let hash = try #require(PasswordHash(encoded: text))
        #expect(hash.matches("Password"))
        #expect(!hash.matches("password"))
    }

    @Test func malformedHashesAreRefused() {
        for text in ["", "pbkdf2-sha256$1$AAAAAAAAAAA=$" + Data(count: 32).base64EncodedString(),
                     "md5$210000$AAAAAAAAAAAAAAAAAAAAAA==$" + Data(count: 32).base64EncodedString(),
                     "pbkdf2-sha256$210000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA", "pbkdf2-sha256$x$y$z"] {
            #expect(PasswordHash(encoded: text) == nil, "\(text)")
        }
    }

    @Test func sessionsCarryTheirCSRFTokenAndEnd() {
        let sessions = OpsSessions(lifetime: .seconds(60), attemptsPerMinute: 3)
        let (id, csrf) = sessions.open()
        #expect(sessions.session(id)?.csrf == csrf)
        #expect(sessions.session(id + "0") == nil)
        #expect(sessions.session("") == nil)
        sessions.close(id)
        #expect(sessions.session(id) == nil)
    }

    @Test func sessionsExpire() throws {
        let sessions = OpsSessions(lifetime: .milliseconds(50), attemptsPerMinute: 3)
        let (id, _) = sessions.open()
        usleep(120_000)
        #expect(sessions.session(id) == nil)
    }

    /// A session ends `lifetime` after the login however often it is used, as the cookie's
    /// Max-Age does in the browser: a stolen cookie kept busy does not live forever.
    @Test func useDoesNotExtendASessionPastItsLifetime() throws {
        let sessions = OpsSessions(lifetime: .seconds(1), attemptsPerMinute: 3)
        let (id, _) = sessions.open()
        usleep(600_000)
        _ = sessions.session(id)
        usleep(600_000)
        #expect(sessions.session(id) == nil)
    }

    @Test func failedLoginsAreLimited() {
        let sessions = OpsSessions(lifetime: .seconds(60), attemptsPerMinute: 3)
        for _ in 0..<3 { #expect(sessions.takeLoginAttempt()) }
        #expect(!sessions.takeLoginAttempt())
        // A right password gives its attempt back.
        sessions.loginSucceeded()
        #expect(sessions.takeLoginAttempt())
        #expect(!sessions.takeLoginAttempt())
    }

    @Test func oneGuessingClientDoesNotLockOthersOutButAllTogetherAreBounded() {
        let sessions = OpsSessions(lifetime: .seconds(60), attemptsPerMinute: 3)
        for _ in 0..<3 { #expect(sessions.takeLoginAttempt(from: "203.0.113.9")) }
        #expect(!sessions.takeLoginAttempt(from: "203.0.113.9"))
        // The operator at another address still gets to log in.
        #expect(sessions.takeLoginAttempt(from: "198.51.100.7"))
        sessions.loginSucceeded(from: "198.51.100.7")
        // Many addresses together stop at ten times the per-client limit (bounded hash work):
        // 3 + 1 - 1 used so far, so 27 more, then nothing for anyone.
        var granted = 0
        for i in 0..<40 where sessions.takeLoginAttempt(from: "192.0.2.\(i)") { granted += 1 }
        #expect(granted == 27)
        #expect(!sessions.takeLoginAttempt(from: "198.51.100.8"))
    }
}
