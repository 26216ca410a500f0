import ArgumentParser
import ProscoreAudio

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List ALSA capture devices (like `arecord -L`).")

    func run() throws {
        let devices = AlsaCaptureSource.devices()
        if devices.isEmpty {
            print("No capture devices found. Any PCM from the ALSA configuration can still be named with --device.")
        }
        for d in devices {
            print(d.name)
            if !d.description.isEmpty { print("    \(d.description)") }
        }
    }
}
