import ArgumentParser

@main
struct Proscore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proscore",
        abstract: "Real-time scoring of spoken English with Wav2Vec2-family encoders.",
        subcommands: [InspectCommand.self, EncodeCommand.self, BenchCommand.self])
}
