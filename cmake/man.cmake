# The sweepmux(1) man page, generated at build time by help2man from the program's --help texts
# (scripts/man-page.sh), and the bash completion; both installed by `cmake --install`.
# Without help2man (Debian: apt-get install help2man) the build goes on without a man page.
find_program(SMX_HELP2MAN help2man)
if(SMX_HELP2MAN)
  add_custom_command(
    OUTPUT ${PROJECT_BINARY_DIR}/sweepmux.1
    COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/man-page.sh $<TARGET_FILE:sweepmux_cli>
            ${PROJECT_BINARY_DIR}/sweepmux.1
    DEPENDS sweepmux_cli ${PROJECT_SOURCE_DIR}/scripts/man-page.sh
    COMMENT "Generating the sweepmux(1) man page from the --help texts"
    VERBATIM)
  add_custom_target(sweepmux_man ALL DEPENDS ${PROJECT_BINARY_DIR}/sweepmux.1)
  install(FILES ${PROJECT_BINARY_DIR}/sweepmux.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
          COMPONENT runtime)
else()
  message(STATUS "help2man not found: no man page (Debian: apt-get install help2man)")
endif()

install(FILES ${PROJECT_SOURCE_DIR}/share/bash-completion/sweepmux
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT runtime)
