import BFSUp
import Glibc

/// What `bfs up` prints once ready: the public URL, the bucket's key, and commands a newcomer
/// can paste (the `bfs` client, and `curl` with a token signed by `openssl`).
struct UpBanner {
    let settings: UpSettings
    let started: SingleNode.Started
    /// The running `bfs` binary, so the printed commands work without it being on `PATH`.
    let binary: String

    var text: String {
        let host = settings.host
        let bucket = started.bucket
        let endpoint = "http://\(host):\(started.proxy)"
        let url = "\(endpoint)/bfs/\(bucket.name)"
        let ports = started.store
        let tokenFile = "\(settings.dataDir)/\(ClusterTokenFile.name)"
        // The signature bfs tokens carry (reference §4.2): Base64 HMAC-SHA1 of
        // "PUT\\n<bucket>\\n<filename>\\n<unix seconds>\\n" under the bucket's secret.
        let sign = "ts=$(date +%s); sig=$(printf 'PUT\\n\(bucket.name)\\ncat.jpg\\n%s\\n' \"$ts\" | openssl dgst -sha1 -hmac '\(bucket.secret)' -binary | base64)"
        return """
            bfs up: ready (data in \(settings.dataDir))
              public URL: \(url)/<filename>
              bucket:     \(bucket.name)  key id \(bucket.keyID)  secret \(bucket.secret)  (public read; writes need the key)

              export BFS_ENDPOINT=\(endpoint) BFS_KEY_ID=\(bucket.keyID) BFS_SECRET=\(bucket.secret)
              \(binary) put cat.jpg \(bucket.name)/cat.jpg
              \(binary) get \(bucket.name)/cat.jpg -o copy.jpg
              \(binary) ls \(bucket.name)
              curl -i \(url)/cat.jpg

              curl PUT with a token:
                \(sign)
                curl -i -X PUT -H 'Content-Type: image/jpeg' -H "Authorization: \(bucket.keyID):$sig:$ts" --data-binary @cat.jpg \(url)/cat.jpg

              console:    http://\(host):\(started.ops)/  (log in with the cluster token: cat \(tokenFile))

              internal (cluster token in \(tokenFile)):
                directory http://\(host):\(started.directory)  store api http://\(host):\(ports.api)  admin http://\(host):\(ports.admin)
                store stats http://\(host):\(ports.stat)/info  pitchfork http://\(host):\(started.pitchfork)/stores  proxy metrics \(endpoint)/metrics
            """
    }
}

/// The absolute path of the running executable (`/proc/self/exe`), or `bfs` when unknown.
func currentExecutablePath() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { return "bfs" }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
