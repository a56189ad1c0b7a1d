import Foundation

/// Finds the console's static files for `bfs up`: the configured folder, else `ops/` in the
/// working directory, else `ops/` in the source tree the binary was built in (the binary lives
/// in `<tree>/.build/<triple>/<config>/bfs`, so the tree is a few levels up). A folder counts
/// only if it holds `index.html`.
public enum OpsAssetsLocator {
    /// The folder, or nil when none holds the console.
    public static func locate(configured: String, workingDirectory: String = FileManager.default.currentDirectoryPath,
                              executable: String) -> String? {
        if !configured.isEmpty {
            let path = configured.hasPrefix("/") ? configured : workingDirectory + "/" + configured
            return holdsConsole(path) ? path : nil
        }
        var candidates = [workingDirectory + "/ops"]
        var dir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        // <tree>/.build/<triple>/<config>/bfs: four levels at most reach <tree>.
        for _ in 0..<4 {
            dir = dir.deletingLastPathComponent()
            candidates.append(dir.path + "/ops")
        }
        return candidates.first(where: holdsConsole)
    }

    private static func holdsConsole(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/index.html")
    }
}
