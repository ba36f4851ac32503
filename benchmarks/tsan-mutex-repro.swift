// A correct program: four threads update a dictionary only inside Synchronization.Mutex.withLock.
// Thread Sanitizer on this toolchain (Swift 6.3, Linux) still reports "Swift access race" for it:
// the Mutex's futex is invisible to TSan. Why Burrow locks with `Locked` (a pthread mutex) instead.
// Run: swiftc -sanitize=thread benchmarks/tsan-mutex-repro.swift -o /tmp/repro && /tmp/repro
import Synchronization
import Dispatch
final class Box: Sendable { let m = Mutex<[Int: Int]>([:]) }
let box = Box()
let group = DispatchGroup()
for t in 0..<4 {
    DispatchQueue.global().async(group: group) {
        for i in 0..<10000 { box.m.withLock { $0[i % 100, default: 0] += t } }
    }
}
group.wait()
print(box.m.withLock { $0.count })
