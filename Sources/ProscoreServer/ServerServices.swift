import Foundation
import ProscorePipeline
import ProscoreStore

/// What every route shares: the configuration, the models, the session pool, the store
/// and the counters.
final class ServerServices: Sendable {
    let configuration: ServerConfiguration
    let catalog: ModelCatalog
    let slots: SessionSlots
    let store: any SessionStore
    let metrics = ServerMetrics()

    init(configuration: ServerConfiguration) throws {
        self.configuration = configuration
        catalog = try ModelCatalog(base: configuration.request, presetsDirectory: Installation.resolve(configuration.presetsDirectory))
        slots = SessionSlots(limit: configuration.maxSessions)
        store = try SessionStores.open(configuration.storePath, origin: "--store")
    }
}
