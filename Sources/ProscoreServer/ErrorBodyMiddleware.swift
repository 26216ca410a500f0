import HTTPTypes
import Hummingbird

/// Every error the HTTP API answers has one shape, `{"error": "what went wrong and what
/// to do"}`: the routes' own refusals and Hummingbird's (an unknown path, a wrong method, a body over the limit),
/// which would otherwise answer `{"error": {"message": …}}` or nothing.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            return .json(status: error.status, ["error": error.body ?? Self.message(for: error.status, path: request.uri.path)],
                         headers: error.headers)
        } catch let error as HTTPResponseError {
            // NIO's `NIOTooManyBytesError`: a body over the limit.
            return .json(status: error.status, ["error": Self.message(for: error.status, path: request.uri.path)])
        } catch {
            // Anything else (the session store gone, say) is the server's failure, said as such.
            return .json(status: .internalServerError, ["error": "the server could not answer: \(error)"])
        }
    }

    /// What to say when the error carries no message of its own.
    static func message(for status: HTTPResponse.Status, path: String) -> String {
        switch status {
        case .notFound: return "nothing at \(path); GET /openapi.yaml describes the API"
        case .contentTooLarge: return "the request body is larger than this server's limit (serve --max-body-mib)"
        case .methodNotAllowed: return "\(path) does not take this method; GET /openapi.yaml describes the API"
        default: return status.reasonPhrase
        }
    }
}
