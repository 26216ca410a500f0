import ArgumentParser
import Foundation
import ProscoreAudio

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List ALSA capture devices (like `arecord -L`).")

    @Option(help: "File with extra ALSA configuration defining PCMs (as for live and record); its PCMs are listed too.")
    var alsaConfig: String?

    func validate() throws {
        if let alsaConfig, !FileManager.default.fileExists(atPath: alsaConfig) { throw ValidationError("--alsa-config \(alsaConfig): no such file.") }
    }

    func run() throws {
        let extra = try alsaConfig.map { try String(contentsOfFile: $0, encoding: .utf8) }
        let devices = AlsaCaptureSource.devices(configurationText: extra)
        if devices.isEmpty {
            print("No capture devices found. Any PCM from the ALSA configuration can still be named with --device.")
        }
        for d in devices {
            print(d.name)
            if !d.description.isEmpty { print("    \(d.description)") }
        }
    }
}
