import BFSTestSupport
import Foundation
import Testing

/// The ops console in a real headless Chromium (WebDriver) against a real cluster
/// (`OpsCluster`): log in, see the overview, add free volumes, create groups and allocate
/// volumes by clicking, create a bucket, and watch a compaction's progress bars reach 100 %.
/// Screenshots land in `.build/test-artifacts/ops/` (paths printed).
@Suite(.serialized) struct OpsBrowserTests {
    static var artifacts: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/test-artifacts/ops").path
    }

    @Test func consoleDrivesTheCluster() async throws {
        let cluster = try await OpsCluster.start(label: "ops-browser")
        defer { cluster.stop() }
        let browser = try WebDriverSession.start()
        defer { browser.quit() }
        let base = "http://127.0.0.1:\(cluster.ops.port)"

        // Not logged in: the console sends the browser to the login page.
        try browser.navigate(to: base + "/")
        #expect(browser.wait { try $0.currentURL().hasSuffix("/login") }, "no redirect to /login")
        try browser.element("#password").sendKeys("wrong")
        try browser.element("#login-button").click()
        #expect(browser.wait { try $0.element("#login-error").text().contains("wrong password") })
        try browser.element("#password").clear()
        try browser.element("#password").sendKeys(OpsCluster.password)
        try browser.element("#login-button").click()
        #expect(browser.wait { try $0.execute("return document.body.dataset.ready") as? String == "true" }, "the console did not load")
        #expect(try browser.execute("return document.cookie") as? String == "", "the session cookie must be HttpOnly")

        // The overview reflects the cluster: four live stores on r1 and r2, no groups yet.
        let overviewShown = browser.wait(seconds: 30) { b in
            let rows = try b.elements("#stores tbody tr")
            return try rows.count == 4 && rows.allSatisfy { try $0.text().contains("live") }
        }
        #expect(overviewShown, "overview rows: \((try? browser.element("#stores").text()) ?? "")")
        let storeText = try browser.element("#stores").text()
        for store in cluster.stores { #expect(storeText.contains(store.id) && storeText.contains(store.rack)) }

        // Provision by clicking: free volumes, rack-aware groups, volumes.
        try browser.element("nav button[data-tab=provision]").click()
        #expect(browser.wait { try $0.elements("#free-stores input:checked").count == 4 })
        try browser.element("#free-count").clear()
        try browser.element("#free-count").sendKeys("3")
        try browser.element("#add-free").click()
        #expect(browser.wait(seconds: 60) { try $0.element("#free-result").text().contains("done on every store") },
                "\((try? browser.element("#free-result").text()) ?? "")")
        try browser.element("#create-groups").click()
        #expect(browser.wait(seconds: 30) { try $0.element("#groups-result").text().contains("2 group(s) created") },
                "\((try? browser.element("#groups-result").text()) ?? "")")
        let groups = try await cluster.groupsInZooKeeper()
        #expect(groups.count == 2)
        for members in groups.values { #expect(Set(members.map { cluster.racks[$0] }).count == 2, "\(members)") }
        #expect(browser.wait(seconds: 10) { try $0.elements("#allocate-groups input:checked").count == 2 })
        try browser.element("#allocate").click()
        #expect(browser.wait(seconds: 60) { try $0.element("#allocate-result").text().contains("allocated") },
                "\((try? browser.element("#allocate-result").text()) ?? "")")
        let volumes = try await cluster.volumesInZooKeeper()
        #expect(volumes.count == 4, "\(volumes)")
        for (vid, replicas) in volumes { #expect(groups.values.contains(replicas.sorted()), "volume \(vid): \(replicas)") }

        // A bucket, created by clicking; its secret is shown once.
        try browser.element("nav button[data-tab=buckets]").click()
        try browser.element("#bucket-name").sendKeys("pictures")
        try browser.element("#bucket-create").click()
        #expect(browser.wait { try !$0.element("#shown-secret").text().isEmpty })
        #expect(browser.wait { try $0.elements("#buckets tr[data-bucket=pictures]").count == 1 })
        let made = try cluster.directory.endpoint.get("/bucket?name=pictures", headers: [("Authorization", "Bearer \(OpsCluster.token)")])
        #expect(made.ret == 1, "the directory has no bucket pictures: \(made.text)")

        // Data in one volume, so the compaction has something to copy.
        let vid = try #require(volumes.keys.min())
        for i in 0..<300 {
            for id in volumes[vid]! {
                _ = try cluster.store(id).upload(vid: vid, key: Int64(i + 1), cookie: 9, data: payload(seed: UInt64(i), size: 100_000))
            }
        }
        try browser.element("nav button[data-tab=overview]").click()
        // The overview shows both groups with two volumes each and the data in volume `vid`.
        let volumesShown = browser.wait(seconds: 30) { b in
            let groupRows = try b.elements("#groups tbody tr").map { try $0.text() }
            let fills = try b.elements(".vol[data-vid=\"\(vid)\"]").map { try $0.text() }
            return groupRows.count == 2 && groupRows.allSatisfy { $0.split(separator: "#").count == 3 }
                && fills.count == 2 && fills.allSatisfy { !$0.hasSuffix(" 0 %") }
        }
        #expect(volumesShown, "\((try? browser.element("#groups").text()) ?? "") \((try? browser.element("#stores").text()) ?? "")")
        let overviewPath = Self.artifacts + "/overview.png"
        try browser.screenshot(to: overviewPath)
        print("screenshot: \(overviewPath)")

        // Compact by clicking; the job's bars go to 100 % on both replicas.
        #expect(browser.wait { try $0.elements("button[data-compact=\"\(vid)\"]").count == 1 })
        try browser.element("button[data-compact=\"\(vid)\"]").click()
        #expect(browser.wait { try $0.elements(".job[data-state=running] progress").count == 2 }, "no running job shown")
        let runningPath = Self.artifacts + "/compaction-running.png"
        let shown = try browser.element(".job").text()
        try browser.screenshot(to: runningPath)
        print("screenshot: \(runningPath) (job as shown: \(shown.replacingOccurrences(of: "\n", with: " | ")))")
        // Best effort, a second picture with a bar part way (the copy may finish between two polls).
        let partWay = browser.wait(seconds: 10) { b in
            let values = try b.execute("return [...document.querySelectorAll('.job[data-state=running] progress')].map(p => p.value)") as? [Double] ?? []
            return values.contains { $0 > 0 && $0 < 1 }
        }
        if partWay {
            let partPath = Self.artifacts + "/compaction-partway.png"
            try browser.screenshot(to: partPath)
            print("screenshot: \(partPath) (job as shown: \(try browser.element(".job").text().replacingOccurrences(of: "\n", with: " | ")))")
        }
        #expect(browser.wait(seconds: 120) { try $0.elements(".job[data-state=done]").count == 1 }, "\((try? browser.element("#jobs").text()) ?? "")")
        let percents = try browser.elements(".job .pct").map { try $0.text() }
        #expect(percents == ["100 %", "100 %"], "\(percents)")
        let donePath = Self.artifacts + "/compaction-done.png"
        try browser.screenshot(to: donePath)
        print("screenshot: \(donePath)")

        // File lookup: a file PUT through a real proxy, found by bucket and name.
        let file = try await cluster.write(bucket: "pictures", filename: "cat.jpg", data: payload(seed: 5, size: 2048))
        try browser.element("nav button[data-tab=lookup]").click()
        try browser.element("#lookup-bucket").sendKeys("pictures")
        try browser.element("#lookup-filename").sendKeys("cat.jpg")
        try browser.element("#lookup").click()
        #expect(browser.wait { try $0.element("td[data-field=size]").text() == "2.0 KiB" }, "\((try? browser.element("#lookup-result").text()) ?? "")")
        #expect(try browser.element("td[data-field=key]").text() == "\(file.key)")
        #expect(try browser.elements("#lookup-table a").count == 2)
    }
}
