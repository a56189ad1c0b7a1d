import BFSMetadata
import BFSProxy
import BFSTestSupport
import Foundation
import Glibc
import Testing

/// What one `bfs` client command did.
struct ClientRun {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `bfs arguments` to completion (at most a minute) with `environment` on top of ours.
func runClient(_ arguments: [String], in dir: TempDir, environment: [String: String], input: String? = nil) throws -> ClientRun {
    let id = UUID().uuidString.prefix(8)
    let process = try BFSProcess(arguments: arguments, logPath: dir.file("out-\(id)"), environment: environment,
                                 errorPath: dir.file("err-\(id)"), inputPath: input)
    let status = try #require(process.wait(seconds: 60), "bfs \(arguments) did not finish in 60 s")
    let stderr = (try? String(contentsOfFile: dir.file("err-\(id)"), encoding: .utf8)) ?? ""
    return ClientRun(status: status, stdout: process.log, stderr: stderr)
}

/// `bfs put|get|head|rm|ls`, the real binary, against an in-process fake proxy that checks
/// every token with the proxy's own code.
@Suite struct ClientCommandTests {
    @Test func putThenGetRoundTripsALargeFileByteIdentical() throws {
        let dir = TempDir("client-roundtrip")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        let seed = SeededGenerator.printedSeed("putThenGetRoundTripsALargeFileByteIdentical")
        var random = SeededGenerator(seed: seed)
        let content = random.bytes(3 << 20)
        let source = dir.file("photo.jpg")
        FileManager.default.createFile(atPath: source, contents: Data(content))
        let sha1 = ContentName.sha1Hex(content)

        let put = try runClient(["put", source, "default/albums/photo.jpg"], in: dir, environment: proxy.clientEnvironment)
        #expect(put.status == 0, "seed \(seed): \(put.stderr)")
        #expect(put.stdout == "\(proxy.endpoint)/bfs/default/albums/photo.jpg\nETag: \"\(sha1)\"\n")
        let stored = try #require(proxy.behaviour.with { $0.buckets["default"]!["albums/photo.jpg"] })
        #expect(stored.mime == "image/jpeg")
        #expect(stored.sha1 == sha1)
        // Not a terminal and not forced: no progress bar in the output.
        #expect(put.stderr.isEmpty)

        mkdir(dir.file("downloads"), 0o755)
        let get = try runClient(["get", "default/albums/photo.jpg", "-o", dir.file("downloads")], in: dir,
                                environment: proxy.clientEnvironment)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(FileManager.default.contents(atPath: dir.file("downloads/photo.jpg")) == Data(content))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("downloads")) == ["photo.jpg"])

        let head = try runClient(["head", "default/albums/photo.jpg"], in: dir, environment: proxy.clientEnvironment)
        #expect(head.status == 0)
        #expect(head.stdout.hasPrefix("Size: \(3 << 20)\nContent-Type: image/jpeg\nETag: \"\(sha1)\"\nLast-Modified: "))
        #expect(head.stdout.hasSuffix(" GMT\n"))
        // put, get and head each carried a token the proxy's check accepted.
        #expect(proxy.behaviour.with { $0.verifiedTokens } == 3)
    }

    @Test func forcedProgressBarAndStandardStreams() throws {
        let dir = TempDir("client-streams")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        let text = String(repeating: "bfs streams\n", count: 200_000)
        FileManager.default.createFile(atPath: dir.file("in.txt"), contents: Data(text.utf8))
        let put = try runClient(["put", "-", "default/notes.txt", "--progress"], in: dir,
                                environment: proxy.clientEnvironment, input: dir.file("in.txt"))
        #expect(put.status == 0, "\(put.stderr)")
        #expect(put.stderr.hasPrefix("\rnotes.txt"))
        #expect(put.stderr.contains("100%"))
        #expect(proxy.behaviour.with { $0.buckets["default"]!["notes.txt"]?.mime } == "text/plain; charset=utf-8")

        // Unsigned: the bucket is public-read.
        let get = try runClient(["get", "default/notes.txt", "-o", "-"], in: dir,
                                environment: ["BFS_ENDPOINT": proxy.endpoint, "BFS_KEY_ID": "", "BFS_SECRET": ""])
        #expect(get.status == 0, "\(get.stderr)")
        #expect(get.stdout == text)
        #expect(get.stderr.isEmpty)
    }

    @Test func contentAddressedPut() throws {
        let dir = TempDir("client-cas")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        let content = Array("not really a png".utf8)
        FileManager.default.createFile(atPath: dir.file("a.png"), contents: Data(content))
        let sha1 = ContentName.sha1Hex(content)
        let put = try runClient(["put", dir.file("a.png"), "default/avatars/"], in: dir, environment: proxy.clientEnvironment)
        #expect(put.status == 0, "\(put.stderr)")
        #expect(put.stdout == "\(proxy.endpoint)/bfs/default/avatars/\(sha1).png\nETag: \"\(sha1)\"\n")
        let get = try runClient(["get", "default/avatars/\(sha1).png", "-o", dir.file("back.png")], in: dir,
                                environment: proxy.clientEnvironment)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(FileManager.default.contents(atPath: dir.file("back.png")) == Data(content))
    }

    @Test func rmThenGetExplains404() throws {
        let dir = TempDir("client-rm")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        FileManager.default.createFile(atPath: dir.file("gone.gif"), contents: Data("GIF89a".utf8))
        #expect(try runClient(["put", dir.file("gone.gif"), "default/gone.gif"], in: dir,
                              environment: proxy.clientEnvironment).status == 0)
        let rm = try runClient(["rm", "default/gone.gif"], in: dir, environment: proxy.clientEnvironment)
        #expect(rm.status == 0, "\(rm.stderr)")
        #expect(proxy.behaviour.with { $0.buckets["default"]!.isEmpty })

        let get = try runClient(["get", "default/gone.gif", "-o", dir.file("gone-back.gif")], in: dir,
                                environment: proxy.clientEnvironment)
        #expect(get.status == 1)
        #expect(get.stderr.contains("404 Not Found (no such file): no bucket \"default\" or no file \"gone.gif\" in it"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("gone-back.gif")))
        let rmAgain = try runClient(["rm", "default/gone.gif"], in: dir, environment: proxy.clientEnvironment)
        #expect(rmAgain.status == 1)
        #expect(rmAgain.stderr.contains("404 Not Found"))
    }

    @Test func wrongSecretExplains401AndStoresNothing() throws {
        let dir = TempDir("client-401")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        FileManager.default.createFile(atPath: dir.file("a.jpg"), contents: Data([1, 2, 3]))
        var environment = proxy.clientEnvironment
        environment["BFS_SECRET"] = "wrong-secret"
        let put = try runClient(["put", dir.file("a.jpg"), "default/a.jpg"], in: dir, environment: environment)
        #expect(put.status == 1)
        #expect(put.stderr.contains("401 Unauthorized (tokenSignatureMismatch)"))
        #expect(put.stderr.contains("key id or secret is wrong"))
        #expect(put.stderr.contains("more than 15 minutes"))
        #expect(proxy.behaviour.with { $0.buckets["default"]!.isEmpty && $0.verifiedTokens == 0 })
    }

    @Test func privateBucketNeedsTheKeyToRead() throws {
        let dir = TempDir("client-private")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path, flags: [])
        FileManager.default.createFile(atPath: dir.file("a.jpg"), contents: Data([1, 2, 3]))
        #expect(try runClient(["put", dir.file("a.jpg"), "default/a.jpg"], in: dir,
                              environment: proxy.clientEnvironment).status == 0)
        let unsigned = try runClient(["head", "default/a.jpg"], in: dir,
                                     environment: ["BFS_ENDPOINT": proxy.endpoint, "BFS_KEY_ID": "", "BFS_SECRET": ""])
        #expect(unsigned.status == 1)
        #expect(unsigned.stderr.contains("not public-read"))
        let signed = try runClient(["head", "default/a.jpg"], in: dir, environment: proxy.clientEnvironment)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.hasPrefix("Size: 3\n"))
    }

    @Test func tooLargeExplains413() throws {
        let dir = TempDir("client-413")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path, maxFileSize: 1000)
        FileManager.default.createFile(atPath: dir.file("big.bin"), contents: Data(count: 100_000))
        let put = try runClient(["put", dir.file("big.bin"), "default/big.bin"], in: dir, environment: proxy.clientEnvironment)
        #expect(put.status == 1)
        #expect(put.stderr.contains("413 Content Too Large (100000 bytes over max_file_size 1000)"))
        #expect(proxy.behaviour.with { $0.buckets["default"]!.isEmpty })
    }

    @Test(arguments: [(401, "401 Unauthorized (told to): the proxy refused the token"),
                      (404, "404 Not Found (told to): no bucket \"default\" or no file \"x.txt\" in it"),
                      (413, "413 Content Too Large (told to): the file is larger than the proxy's max_file_size"),
                      (503, "the proxy answered 503: told to (a proxy or store problem")])
    func proxyAnswersAreExplained(code: Int, explanation: String) throws {
        let dir = TempDir("client-forced")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        proxy.behaviour.with { $0.forcedStatus = (code, "told to") }
        FileManager.default.createFile(atPath: dir.file("x.txt"), contents: Data("x".utf8))
        let put = try runClient(["put", dir.file("x.txt"), "default/x.txt"], in: dir, environment: proxy.clientEnvironment)
        #expect(put.status == 1)
        #expect(put.stderr.contains(explanation), "\(put.stderr)")
    }

    @Test func lsWalksEveryPage() throws {
        let dir = TempDir("client-ls")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        FileManager.default.createFile(atPath: dir.file("f.txt"), contents: Data("12345".utf8))
        for name in ["a/1.txt", "a/2.txt", "a/3.txt", "a/4.txt", "a/5.txt", "b/1.txt"] {
            #expect(try runClient(["put", dir.file("f.txt"), "default/\(name)"], in: dir,
                                  environment: proxy.clientEnvironment).status == 0)
        }
        let ls = try runClient(["ls", "default/a/", "--limit", "2"], in: dir, environment: proxy.clientEnvironment)
        #expect(ls.status == 0, "\(ls.stderr)")
        let lines = ls.stdout.split(separator: "\n")
        #expect(lines.map { $0.split(separator: "\t")[0] } == ["a/1.txt", "a/2.txt", "a/3.txt", "a/4.txt", "a/5.txt"])
        #expect(lines.allSatisfy { $0.split(separator: "\t").count == 3 && $0.split(separator: "\t")[1] == "5" })
        #expect(lines.allSatisfy { $0.hasSuffix("Z") })
        // 2 + 2 + 1 names: three pages.
        #expect(proxy.behaviour.with { $0.listings } == 3)

        let all = try runClient(["ls", "default"], in: dir, environment: proxy.clientEnvironment)
        #expect(all.stdout.split(separator: "\n").count == 6)
        let unsigned = try runClient(["ls", "default"], in: dir,
                                     environment: ["BFS_ENDPOINT": proxy.endpoint, "BFS_KEY_ID": "", "BFS_SECRET": ""])
        #expect(unsigned.status == 1)
        #expect(unsigned.stderr.contains("ls needs the bucket's key"))
    }

    @Test func brokenDownloadLeavesNoFile() throws {
        let dir = TempDir("client-partial")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        var random = SeededGenerator(seed: SeededGenerator.printedSeed("brokenDownloadLeavesNoFile"))
        FileManager.default.createFile(atPath: dir.file("src.bin"), contents: Data(random.bytes(2 << 20)))
        #expect(try runClient(["put", dir.file("src.bin"), "default/big.bin"], in: dir,
                              environment: proxy.clientEnvironment).status == 0)
        proxy.behaviour.with { $0.truncateDownloads = true }
        mkdir(dir.file("dl"), 0o755)
        let get = try runClient(["get", "default/big.bin", "-o", dir.file("dl/big.bin")], in: dir,
                                environment: proxy.clientEnvironment)
        #expect(get.status == 1)
        #expect(get.stderr.contains("the download broke after"))
        #expect(get.stderr.contains("of \(2 << 20) bytes; nothing was kept"))
        // Neither the final name nor the temporary one is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("dl")) == [])
    }

    @Test func corruptDownloadLeavesNoFile() throws {
        let dir = TempDir("client-corrupt")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        let content = Array("the real bytes".utf8)
        FileManager.default.createFile(atPath: dir.file("src.txt"), contents: Data(content))
        #expect(try runClient(["put", dir.file("src.txt"), "default/real.txt"], in: dir,
                              environment: proxy.clientEnvironment).status == 0)
        proxy.behaviour.with { $0.corruptDownloads = true }
        mkdir(dir.file("dl"), 0o755)
        let get = try runClient(["get", "default/real.txt", "-o", dir.file("dl/real.txt")], in: dir,
                                environment: proxy.clientEnvironment)
        #expect(get.status == 1)
        #expect(get.stderr.contains("not \(ContentName.sha1Hex(content)) as the ETag says; nothing was kept"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("dl")) == [])
    }

    @Test func uploadDamagedOnTheWayIsReported() throws {
        let dir = TempDir("client-damaged")
        defer { dir.remove() }
        let proxy = try FakeProxy(directory: dir.path)
        proxy.behaviour.with { $0.corruptUploads = true }
        let content = Array("sent bytes".utf8)
        FileManager.default.createFile(atPath: dir.file("a.txt"), contents: Data(content))
        let put = try runClient(["put", dir.file("a.txt"), "default/a.txt"], in: dir, environment: proxy.clientEnvironment)
        #expect(put.status == 1)
        #expect(put.stderr.contains("but the file read had \(ContentName.sha1Hex(content)): the bytes changed on the way"))
    }

    @Test func refusedConnectionAndMissingKeyAreExplained() throws {
        let dir = TempDir("client-refused")
        defer { dir.remove() }
        let closed = try PortReservation()
        defer { closed.release() }
        let head = try runClient(["head", "default/a.jpg", "--endpoint", "http://127.0.0.1:\(closed.port)"], in: dir,
                                 environment: ["BFS_KEY_ID": "", "BFS_SECRET": ""])
        #expect(head.status == 1)
        #expect(head.stderr.contains("cannot connect to http://127.0.0.1:\(closed.port): connection refused"))
        #expect(head.stderr.contains("`bfs up` or `bfs proxy` running"))
        let unwritable = try runClient(["get", "default/a.jpg", "-o", dir.file("missing/a.jpg"),
                                        "--endpoint", "http://127.0.0.1:\(closed.port)"], in: dir, environment: [:])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.contains("missing/.a.jpg.bfs-partial-"))
        #expect(unwritable.stderr.contains("No such file or directory"))
        let rm = try runClient(["rm", "default/a.jpg", "--endpoint", "http://127.0.0.1:\(closed.port)"], in: dir,
                               environment: ["BFS_KEY_ID": "", "BFS_SECRET": ""])
        #expect(rm.status == 1)
        #expect(rm.stderr.contains("rm needs the bucket's key"))
    }
}
