/// What the supervisor needs to run peers on other hosts: where each goes, how to get
/// there, the path of `market` there, and the two lines a remote peer reads first (the
/// run's secret and scenario, `RemotePeerStart`).
struct RemoteHosts {
    let placement: HostPlacement
    let ssh: SSHCommand
    let market: String
    let preamble: String
}
