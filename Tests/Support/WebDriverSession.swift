import Foundation
import Glibc

/// A headless Chromium driven over WebDriver (W3C) through Debian's `chromedriver`: the browser
/// tests of the ops console. `start()` launches chromedriver on a free port and opens a session
/// with `--headless=new --no-sandbox --disable-dev-shm-usage` (the sandbox cannot run as root);
/// when `chromium` or `chromedriver` is missing it throws an install instruction.
///
/// ```swift
/// let browser = try WebDriverSession.start()
/// defer { browser.quit() }
/// try browser.navigate(to: "http://127.0.0.1:\(port)/")
/// try browser.element("#password").sendKeys("secret")
/// try browser.element("#login-button").click()
/// ```
public final class WebDriverSession: @unchecked Sendable {
    /// Why a WebDriver call failed.
    public struct Failure: Error, CustomStringConvertible {
        /// The command and the driver's answer.
        public let description: String
    }

    /// One element found by a CSS selector.
    public struct Element {
        let session: WebDriverSession
        /// The driver's element id.
        public let id: String

        /// Clicks it (scrolled into view by the driver).
        public func click() throws { _ = try session.command("POST", "/element/\(id)/click", [:]) }
        /// Types `text` into it.
        public func sendKeys(_ text: String) throws { _ = try session.command("POST", "/element/\(id)/value", ["text": text]) }
        /// Empties an input.
        public func clear() throws { _ = try session.command("POST", "/element/\(id)/clear", [:]) }
        /// Its rendered text.
        public func text() throws -> String { try session.command("GET", "/element/\(id)/text", nil) as? String ?? "" }
        /// An attribute's value, nil when absent.
        public func attribute(_ name: String) throws -> String? { try session.command("GET", "/element/\(id)/attribute/\(name)", nil) as? String }
    }

    private static let elementKey = "element-6066-11e4-a52e-4f735466cecf"
    private let driver: Process
    private let endpoint: TestHTTPEndpoint
    private let sessionID: String

    private init(driver: Process, endpoint: TestHTTPEndpoint, sessionID: String) {
        self.driver = driver
        self.endpoint = endpoint
        self.sessionID = sessionID
    }

    /// Launches chromedriver and opens a headless Chromium session.
    public static func start(windowWidth: Int = 1400, windowHeight: Int = 1000) throws -> WebDriverSession {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium, let chromedriver else {
            throw Failure(description: "headless Chromium is not installed: run `apt-get install -y chromium chromium-driver` (or scripts/install-deps.sh)")
        }
        let reservation = try PortReservation()
        let port = reservation.port
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        // chromedriver binds without SO_REUSEADDR: give the port back just before it starts.
        reservation.release()
        try driver.run()
        var endpoint = TestHTTPEndpoint(port: port)
        endpoint.timeoutSeconds = 60
        let ready = waitUntil(seconds: 20, pollMilliseconds: 50) {
            guard driver.isRunning, let status = try? endpoint.get("/status") else { return false }
            return ((status.json["value"] as? [String: Any])?["ready"] as? Bool) == true
        }
        guard ready else {
            kill(driver.processIdentifier, SIGKILL)
            throw Failure(description: "chromedriver did not become ready on port \(port)")
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:chromeOptions": [
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=\(windowWidth),\(windowHeight)"],
            ],
        ]]]
        let response = try endpoint.request("POST", "/session", headers: [("Content-Type", "application/json")],
                                             body: Array(try JSONSerialization.data(withJSONObject: capabilities)))
        guard response.status == 200, let value = response.json["value"] as? [String: Any],
              let id = value["sessionId"] as? String else {
            kill(driver.processIdentifier, SIGKILL)
            throw Failure(description: "chromedriver did not open a session: \(response.status) \(response.text.prefix(500))")
        }
        let session = WebDriverSession(driver: driver, endpoint: endpoint, sessionID: id)
        // Element lookups wait up to 5 s for the element to appear (pages render after fetches).
        _ = try session.command("POST", "/timeouts", ["implicit": 5000])
        return session
    }

    /// Loads `url` and waits for the page's load event.
    public func navigate(to url: String) throws { _ = try command("POST", "/url", ["url": url]) }

    /// The current page's URL.
    public func currentURL() throws -> String { try command("GET", "/url", nil) as? String ?? "" }

    /// The first element matching `css`.
    public func element(_ css: String) throws -> Element {
        let value: [String: Any]?
        do { value = try command("POST", "/element", ["using": "css selector", "value": css]) as? [String: Any] } catch {
            let url = (try? currentURL()) ?? "?"
            let page = ((try? execute("return document.documentElement.outerHTML")) as? String) ?? ""
            throw Failure(description: "no element \(css) on \(url): \(error); page: \(page.prefix(600))")
        }
        guard let id = value?[Self.elementKey] as? String else { throw Failure(description: "no element \(css)") }
        return Element(session: self, id: id)
    }

    /// Every element matching `css`.
    public func elements(_ css: String) throws -> [Element] {
        let value = try command("POST", "/elements", ["using": "css selector", "value": css]) as? [[String: Any]] ?? []
        return value.compactMap { $0[Self.elementKey] as? String }.map { Element(session: self, id: $0) }
    }

    /// Runs `script` in the page (`return ...` gives a value).
    @discardableResult
    public func execute(_ script: String, _ args: [Any] = []) throws -> Any? {
        try command("POST", "/execute/sync", ["script": script, "args": args])
    }

    /// Polls `condition` (page errors such as a missing element count as false) until it holds
    /// or `seconds` pass; answers whether it held.
    public func wait(seconds: Double = 20, _ condition: (WebDriverSession) throws -> Bool) -> Bool {
        waitUntil(seconds: seconds, pollMilliseconds: 50) { (try? condition(self)) ?? false }
    }

    /// A PNG of the viewport, written to `path` (directories created).
    public func screenshot(to path: String) throws {
        guard let base64 = try command("GET", "/screenshot", nil) as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: path))
    }

    /// Ends the session and chromedriver.
    public func quit() {
        _ = try? endpoint.request("DELETE", "/session/\(sessionID)")
        if driver.isRunning {
            // chromedriver does not always exit on SIGTERM.
            kill(driver.processIdentifier, SIGKILL)
            driver.waitUntilExit()
        }
    }

    deinit { quit() }

    /// One command on this session: its JSON `value`, or the driver's error.
    func command(_ method: String, _ path: String, _ body: [String: Any]?) throws -> Any? {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let headers = body == nil ? [] : [("Content-Type", "application/json")]
        let response = try endpoint.request(method, "/session/\(sessionID)\(path)", headers: headers, body: bytes)
        let value = response.json["value"]
        guard response.status == 200 else {
            let message = (value as? [String: Any])?["message"] as? String ?? response.text
            throw Failure(description: "\(method) \(path): \(response.status) \(message.prefix(300))")
        }
        return value is NSNull ? nil : value
    }
}
