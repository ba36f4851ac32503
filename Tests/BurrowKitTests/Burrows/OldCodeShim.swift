@testable import BurrowKit
extension BurrowManager { var liveRunCount: Int { tasks.count } }
