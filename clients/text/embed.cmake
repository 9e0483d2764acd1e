# cmake -DIN=FILE -DOUT=FILE.c -DVAR=NAME -P embed.cmake: FILE's bytes as
# the NUL-terminated string NAME (clients/texts.h declares them).
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){12})" "\\1\n    " bytes "${bytes}")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}"
     "/* Generated from clients/text/${name} by embed.cmake; do not edit. */\n"
     "#include \"texts.h\"\n\n"
     "static const unsigned char s_bytes[] = {\n    ${bytes}0};\n"
     "const char *const ${VAR} = (const char *)s_bytes;\n")
