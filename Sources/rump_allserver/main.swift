import KernelStack

/// rump_allserver: rump_server with every component loaded (rump_server(1)).
ServerEntry.main(program: "rump_allserver", loadAll: true)
