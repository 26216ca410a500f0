import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The PostgreSQL server `make test` starts (tools/ci/start_services.sh) and Debian's nginx.
private let postgresURL = ProcessInfo.processInfo.environment["PROSCORE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
private let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
private let annaRecording: String = {
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    return root.appendingPathComponent("recordings/anna-morning.flac").path
}()

/// A TCP port nothing listens on now.
private func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &address) { pointer in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            guard bind(fd, $0, length) == 0, getsockname(fd, $0, &length) == 0 else { throw TestFailure("no free port") }
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// nginx in the foreground, balancing round robin over `upstreams`, WebSocket upgrades passed on.
private func startNginx(listenPort: Int, upstreams: [Int]) throws -> (Process, String) {
    let directory = scratch("nginx")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let configuration = """
        daemon off;
        master_process off;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log warn;
        events { worker_connections 256; }
        http {
            access_log \(directory)/access.log;
            client_body_temp_path \(directory)/body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            upstream proscore { \(upstreams.map { "server 127.0.0.1:\($0);" }.joined(separator: " ")) }
            map $http_upgrade $connection_upgrade { default upgrade; '' close; }
            server {
                listen 127.0.0.1:\(listenPort);
                client_max_body_size 64m;
                location / {
                    proxy_pass http://proscore;
                    proxy_http_version 1.1;
                    proxy_set_header Host $http_host;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection $connection_upgrade;
                    proxy_read_timeout 600s;
                    proxy_buffering off;
                }
            }
        }
        """
    try configuration.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: nginx!)
    process.arguments = ["-p", directory, "-c", directory + "/nginx.conf"]
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    try process.run()
    return (process, directory)
}

private func get(_ url: String) async throws -> (Int, Data) {
    let (body, response) = try await URLSession.shared.data(from: URL(string: url)!)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, body)
}

@Suite("proscore serve scaled out: two instances behind nginx sharing PostgreSQL",
       .enabled(if: postgresURL != nil && nginx != nil, "needs PROSCORE_TEST_POSTGRES and nginx (make test starts and installs them)"))
struct ServeScaleOutTests {
    @Test("streams through nginx reach both instances, are stored once each, and every session is listed and reported by either")
    func twoInstancesBehindNginx() async throws {
        let common = ["--model", fixtureModel, "--head", "none", "--text-model", "none", "--store", postgresURL!, "--max-sessions", "8"]
        let a = try RunningServer(common)
        defer { a.stop() }
        let b = try RunningServer(common)
        defer { b.stop() }
        let proxyPort = try freePort()
        let (proxy, proxyDirectory) = try startNginx(listenPort: proxyPort, upstreams: [a.port, b.port])
        // nginx inherits the test runner's blocked signal mask and ignores SIGTERM: kill it.
        defer { kill(proxy.processIdentifier, SIGKILL); proxy.waitUntilExit() }
        var healthy = false
        for _ in 0..<100 where !healthy {
            healthy = (try? await get("http://127.0.0.1:\(proxyPort)/healthz").0) == 200
            if !healthy { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(healthy, "nginx did not come up: \((try? String(contentsOfFile: proxyDirectory + "/error.log", encoding: .utf8)) ?? "")")

        // Four clients at once through nginx (round robin: two on each instance).
        let bench = try proscore(["bench", "serve", "--url", "ws://127.0.0.1:\(proxyPort)", "--streams", "4", "--speed", "max",
                                  "--recording", annaRecording, "--json"])
        #expect(bench.status == 0, "\(bench.stdout)\n\(bench.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        #expect(report["completed"] as? Int == 4)
        #expect((report["estimates"] as? Int ?? 0) > 0)
        let ids = try #require(report["session_ids"] as? [Int])
        #expect(Set(ids).count == 4)

        // Both instances scored some of them.
        for server in [a, b] {
            let (_, metrics) = try await get("http://127.0.0.1:\(server.port)/metrics")
            let started = String(decoding: metrics, as: UTF8.self).split(separator: "\n")
                .first { $0.hasPrefix("proscore_sessions_started_total ") }?.split(separator: " ").last.flatMap { Int($0) }
            #expect((started ?? 0) >= 1, "instance on port \(server.port) scored nothing")
        }

        // Every session, listed by either instance directly, and reported through nginx.
        for server in [a, b] {
            let (status, body) = try await get("http://127.0.0.1:\(server.port)/v1/sessions")
            #expect(status == 200)
            let listed = try #require(try JSONSerialization.jsonObject(with: body) as? [[String: Any]])
            let listedIds = Set(listed.compactMap { $0["id"] as? Int })
            #expect(Set(ids).isSubset(of: listedIds), "port \(server.port) lists \(listedIds.sorted()), not all of \(ids)")
        }
        for id in ids {
            let (status, body) = try await get("http://127.0.0.1:\(proxyPort)/v1/sessions/\(id)/report")
            #expect(status == 200 && String(decoding: body, as: UTF8.self).contains("Proscore session \(id)"))
            let (_, detail) = try await get("http://127.0.0.1:\(proxyPort)/v1/sessions/\(id)")
            let object = try #require(try JSONSerialization.jsonObject(with: detail) as? [String: Any])
            #expect(object["status"] as? String == "complete")
        }
        // The page's own requests through nginx: a browser sends its origin, which must be the host the server sees.
        var pageRequest = URLRequest(url: URL(string: "http://127.0.0.1:\(proxyPort)/v1/sessions")!)
        pageRequest.setValue("http://127.0.0.1:\(proxyPort)", forHTTPHeaderField: "Origin")
        let (_, pageResponse) = try await URLSession.shared.data(for: pageRequest)
        #expect((pageResponse as? HTTPURLResponse)?.statusCode == 200, "the page's origin refused behind nginx")
        // And by the command line, from the same store.
        let listed = try proscore(["sessions", "list", "--json", "--store", postgresURL!])
        #expect(listed.status == 0)
        for id in ids { #expect(listed.stdout.contains(#""id":\#(id)"#)) }
    }
}
