import ArgumentParser
import ProscoreTensor

@main
struct Proscore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proscore",
        abstract: "Real-time scoring of spoken English with Wav2Vec2-family encoders.",
        version: "0.12.0",
        subcommands: [LiveCommand.self, ReplayCommand.self, ScoreCommand.self, ServeCommand.self, SessionsCommand.self, ReportCommand.self, VisualizeCommand.self, InspectCommand.self, EncodeCommand.self, TranscribeCommand.self, ExtractCommand.self, TrainCommand.self, ProbeCommand.self, EvaluateCommand.self, DevicesCommand.self, RecordCommand.self, TuneCommand.self, BenchCommand.self])

    static func main() async {
        MemoryPolicy.keepLargeBuffersInHeap()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
