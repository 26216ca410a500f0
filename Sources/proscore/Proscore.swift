import ArgumentParser
import Foundation
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
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)  // a mistyped command line: the message, then the command's usage
        }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            // Refused while running (a file that exists, a folder where a file belongs): the
            // message says what to do, and the root command's usage under it would be noise.
            FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
