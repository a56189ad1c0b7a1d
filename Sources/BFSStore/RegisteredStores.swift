import BFSCoordination
import BFSCore
import Foundation

/// The stores registered in the cluster, as this store's coordination sees them: a pull
/// (`/bulk_volume from=`) may only read from one of them, so an admin request cannot point the
/// store at an arbitrary host and make it fetch (and register) whatever that host serves.
public protocol RegisteredStores: Sendable {
    /// The admin addresses (`host:port`) published by the stores under `/rack`.
    func registeredAdminAddresses(completion: @escaping @Sendable (Result<[String], any Error>) -> Void)
}

extension StoreRegistrar: RegisteredStores {
    /// Reads every store JSON under `/rack/<rack>/<store>` and collects its `admin` field.
    public func registeredAdminAddresses(completion: @escaping @Sendable (Result<[String], any Error>) -> Void) {
        let coordination = self.coordination
        Task {
            do {
                var addresses: [String] = []
                for rack in try await coordination.children(ZnodeLayout.racks) {
                    for store in try await coordination.children(ZnodeLayout.rack(rack)) {
                        let node = try await coordination.get(ZnodeLayout.store(rack: rack, id: store))
                        if let admin = AdminAddressReader.admin(node.data) { addresses.append(admin) }
                    }
                }
                completion(.success(addresses))
            } catch {
                completion(.failure(error))
            }
        }
    }
}

/// Reads only the `admin` of a store JSON written by anyone (bfs or us); nil when absent.
enum AdminAddressReader {
    struct Partial: Decodable { var admin: String? }

    static func admin(_ data: [UInt8]) -> String? {
        guard !data.isEmpty, let admin = try? JSONDecoder().decode(Partial.self, from: Data(data)).admin, !admin.isEmpty else {
            return nil
        }
        return admin
    }
}
