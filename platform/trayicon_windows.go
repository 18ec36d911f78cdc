package platform

import "encoding/binary"

// TrayIcon wraps a square PNG of size pixels in an .ico, the form the
// Windows tray reads (an icon directory of one PNG entry).
func TrayIcon(pngData []byte, size int) []byte {
	out := make([]byte, 22, 22+len(pngData))
	binary.LittleEndian.PutUint16(out[2:], 1) // type: icon
	binary.LittleEndian.PutUint16(out[4:], 1) // one image
	if size < 256 {                           // 0 stands for 256
		out[6], out[7] = byte(size), byte(size)
	}
	binary.LittleEndian.PutUint16(out[10:], 1)  // colour planes
	binary.LittleEndian.PutUint16(out[12:], 32) // bits per pixel
	binary.LittleEndian.PutUint32(out[14:], uint32(len(pngData)))
	binary.LittleEndian.PutUint32(out[18:], 22) // where the PNG starts
	return append(out, pngData...)
}
