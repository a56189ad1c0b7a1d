import Testing
@testable import BFSProxy
